package io.devproxy.daemon;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.control.ControlServer;
import io.devproxy.daemon.control.DaemonInfo;
import io.devproxy.daemon.control.DaemonService;
import io.devproxy.daemon.control.ServiceLister;
import io.devproxy.daemon.outbound.OutboundService;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.netty.EventLoops;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon process's components and their order. Start: pid lock, event loops, intercepts, outbound proxy,
 * control server (the pid lock first, so a second daemon fails before it touches the cluster; the control server
 * last, so the CLI never reaches a half-built daemon). Close: intercepts first (leaving restores what they
 * changed, while a CLI waiting on {@code quit} still sees the control socket), then the outbound proxy, then the
 * control server, then the event loops, then the pid file.
 *
 * <p>Thread-safe. {@link #close()} is idempotent and blocks until the daemon is closed, whoever started
 * closing it (the Quit call, the shutdown hook); {@link #awaitTermination} returns after that.
 */
public final class Daemon implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(Daemon.class.getName());

  private final DevproxyHome home;
  private final InterceptsFactory factory;
  private final CountDownLatch terminated = new CountDownLatch(1);

  private boolean started;
  private boolean closed;
  private PidFile pidFile;
  private EventLoopGroup group;
  private Intercepts intercepts;
  private OutboundService outbound;
  private ControlServer controlServer;

  public Daemon(DevproxyHome home, InterceptsFactory factory) {
    this.home = requireNonNull(home, "home");
    this.factory = requireNonNull(factory, "factory");
  }

  /**
   * Starts every component; on failure closes what started and rethrows.
   *
   * @throws DevproxyException CONFIG when another daemon runs on this home or the socket cannot be bound;
   *     whatever the intercepts factory throws
   */
  public synchronized void start() throws DevproxyException {
    if (started || closed) {
      throw new IllegalStateException("daemon already started or closed");
    }
    started = true;
    try {
      pidFile = PidFile.lock(home);
      DaemonConfig config = DaemonConfig.load(home);
      group = EventLoops.newGroup("devproxy-daemon", 0);
      intercepts = requireNonNull(factory.create(home, group), "InterceptsFactory.create returned null");
      outbound = OutboundService.start(config.outboundPort(), intercepts, group);
      DaemonInfo info = new DaemonInfo(version(), ProcessHandle.current().pid(), home.dir().toString(),
          config.agentImage());
      controlServer = new ControlServer(home.socket(),
          new DaemonService(intercepts, info, this::closeAsync, new ServiceLister(), outbound), group);
      controlServer.start();
    } catch (DevproxyException | RuntimeException e) {
      close();
      throw e;
    }
    logger.info("daemon " + version() + " started, pid " + ProcessHandle.current().pid() + ", home " + home);
  }

  /** The control socket's server; null before {@link #start()}. */
  public synchronized ControlServer controlServer() {
    return controlServer;
  }

  /** Closes the daemon on a new thread and returns at once. */
  public void closeAsync() {
    Thread thread = new Thread(this::close, "devproxy-daemon-quit");
    thread.setDaemon(false);
    thread.start();
  }

  /** Closes every component in reverse start order. Idempotent; blocks until closed. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    logger.info("daemon stopping");
    try {
      if (intercepts != null) {
        try {
          intercepts.close();
        } catch (RuntimeException e) {
          logger.log(Level.WARNING, "closing the intercepts failed", e);
        }
      }
      if (outbound != null) {
        outbound.close();
      }
      if (controlServer != null) {
        controlServer.close();
      }
      if (group != null) {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(6, TimeUnit.SECONDS);
      }
      if (pidFile != null) {
        pidFile.close();
      }
      logger.info("daemon stopped");
    } finally {
      terminated.countDown();
    }
  }

  /** Waits until {@link #close()} has finished. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Waits up to {@code timeout} for {@link #close()} to finish; true when it has. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** This build's version, from the jar manifest; {@code dev} when run from classes. */
  public static String version() {
    String version = Daemon.class.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }
}

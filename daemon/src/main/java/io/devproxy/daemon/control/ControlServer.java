package io.devproxy.daemon.control;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.DevproxyHome;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's control API: a gRPC server on a Unix domain socket (Netty NIO domain sockets, so no native
 * transport is needed), mode 0600. The socket's directory is expected to be the user's alone (0700), so
 * the file is never reachable by others between bind and chmod.
 *
 * <p>A socket file left by a daemon that died is replaced; one that a live daemon listens on is not.
 * Netty removes the file when the server closes.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} (idempotent), {@link #awaitTermination(Duration)}.
 * The event loop group is the caller's: this server neither owns nor shuts it down.
 */
public final class ControlServer implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(ControlServer.class.getName());
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final Path socket;
  private final BindableService service;
  private final EventLoopGroup group;
  private Server server;
  private boolean closed;

  /**
   * @param socket the socket file to create; its directory exists and is private to the user
   * @param group boss and worker loops; not owned
   */
  public ControlServer(Path socket, BindableService service, EventLoopGroup group) {
    this.socket = requireNonNull(socket, "socket").toAbsolutePath();
    this.service = requireNonNull(service, "service");
    this.group = requireNonNull(group, "group");
  }

  /**
   * Binds the socket and starts serving.
   *
   * @throws DevproxyException CONFIG when another daemon listens on the socket, the path is too long, or it
   *     cannot be bound
   * @throws IllegalStateException when started twice or after close
   */
  public synchronized void start() throws DevproxyException {
    if (server != null || closed) {
      throw new IllegalStateException("control server already started or closed");
    }
    DevproxyHome.checkSocketPathLength(socket);
    removeStaleSocket();
    Server started;
    try {
      started =
          NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(socket))
              .channelType(NioServerDomainSocketChannel.class)
              .bossEventLoopGroup(group)
              .workerEventLoopGroup(group)
              .addService(service)
              .build()
              .start();
    } catch (IOException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot listen on the control socket " + socket + ": " + e.getMessage(), e);
    }
    try {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | UnsupportedOperationException e) {
      started.shutdownNow();
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot make the control socket " + socket + " private (0600): " + e, e);
    }
    server = started;
    logger.info("control API listening on " + socket);
  }

  private void removeStaleSocket() throws DevproxyException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (isListening(socket)) {
      throw new DevproxyException(
          ErrorCategory.CONFIG,
          "another devproxy daemon is already listening on "
              + socket
              + "; run 'devproxy quit' to stop it, or set "
              + DevproxyHome.ENV
              + " to use another directory");
    }
    try {
      Files.deleteIfExists(socket);
      logger.info("removed stale control socket " + socket);
    } catch (IOException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot remove the stale control socket " + socket + ": " + e, e);
    }
  }

  /** Whether something accepts connections on {@code socket} now. */
  static boolean isListening(Path socket) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  /** The socket file. */
  public Path socket() {
    return socket;
  }

  /**
   * Stops accepting calls, lets calls in flight finish for up to 5 s, then cancels the rest. Idempotent;
   * returns when the server has terminated or the grace period is over.
   */
  @Override
  public void close() {
    Server toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = server;
    }
    if (toClose == null) {
      return;
    }
    toClose.shutdown();
    try {
      if (!toClose.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        logger.warning("control calls still running after " + GRACE.toSeconds() + " s; cancelling them");
        toClose.shutdownNow();
      }
    } catch (InterruptedException e) {
      toClose.shutdownNow();
      Thread.currentThread().interrupt();
    }
    logger.log(Level.FINE, "control API closed");
  }

  /** Waits for the server to terminate after {@link #close()}; true when it has (or never started). */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    Server s;
    synchronized (this) {
      s = server;
    }
    return s == null || s.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the server has terminated (or never started). */
  public synchronized boolean isTerminated() {
    return server == null ? closed : server.isTerminated();
  }
}

package io.devproxy.cli.demo;

import io.devproxy.cli.DaemonClient;
import io.devproxy.cli.DaemonConnector;
import io.devproxy.cli.DaemonLauncher;
import io.devproxy.cli.DaemonUnreachableException;
import io.devproxy.cli.HomeDir;
import io.devproxy.cli.OutputFormat;
import io.devproxy.cli.ProcessDaemonLauncher;
import io.devproxy.cli.Renderer;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The demo's own daemon, on the demo's home: started and driven by the code the {@code intercept},
 * {@code leave} and {@code quit} commands use ({@link DaemonConnector}, {@link ProcessDaemonLauncher},
 * {@link DaemonClient}), so it is the daemon jar as a user runs it, detached in its own session.
 *
 * <p>{@link #close()} stops it: {@code quit} when it still answers, then SIGTERM and SIGKILL to the process it
 * launched if that has not exited. Idempotent; thread-safe.
 */
final class DemoDaemon implements AutoCloseable {

  /** How long {@code quit} may take: leaving the demo's one intercept is quick. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);

  private final DaemonConnector connector;
  private final AtomicReference<ProcessHandle> launched = new AtomicReference<>();

  DemoDaemon(HomeDir home) {
    DaemonLauncher processes = new ProcessDaemonLauncher();
    DaemonLauncher recording = h -> {
      ProcessHandle process = processes.launch(h);
      launched.set(process);
      return process;
    };
    this.connector = new DaemonConnector(home, recording, DaemonConnector.START_TIMEOUT);
  }

  /** {@code devproxy intercept}: starts the daemon (saying so through {@code renderer} when slow), then intercepts. */
  InterceptInfo intercept(InterceptRequest request, Renderer renderer)
      throws DaemonUnreachableException, DevproxyException {
    try (DaemonClient daemon = connector.connectOrStart(renderer)) {
      return daemon.intercept(request);
    }
  }

  /** {@code devproxy leave NAME}. */
  void leave(String name) throws DaemonUnreachableException, DevproxyException {
    try (DaemonClient daemon = running()) {
      daemon.leave(name);
    }
  }

  /** The daemon's pid, as it reports it. */
  long pid() throws DaemonUnreachableException, DevproxyException {
    try (DaemonClient daemon = running()) {
      return daemon.status().getPid();
    }
  }

  /**
   * {@code devproxy quit}: asks the daemon to stop and waits until its socket is gone.
   *
   * @return whether it stopped within {@link #STOP_TIMEOUT}
   */
  boolean quit(Renderer renderer) throws DaemonUnreachableException, DevproxyException {
    Optional<DaemonClient> running = connector.connectIfRunning();
    if (running.isEmpty()) {
      return true;
    }
    try (DaemonClient daemon = running.get()) {
      daemon.quit();
    }
    return connector.awaitStopped(STOP_TIMEOUT, renderer, "stopping the demo daemon…");
  }

  private DaemonClient running() throws DaemonUnreachableException {
    return connector
        .connectIfRunning()
        .orElseThrow(() -> new DaemonUnreachableException(
            "the demo daemon is no longer running; check " + connector.home().logFile()));
  }

  /** Whether the process this daemon was launched as has exited (true when none was launched). */
  boolean exited() {
    ProcessHandle process = launched.get();
    return process == null || !process.isAlive();
  }

  @Override
  public void close() {
    ProcessHandle process = launched.get();
    if (process == null) {
      return;
    }
    try {
      quit(new Renderer(new PrintWriter(Writer.nullWriter()), new PrintWriter(Writer.nullWriter()), OutputFormat.TABLE));
    } catch (DaemonUnreachableException | DevproxyException | RuntimeException e) {
      // Killed below.
    }
    try {
      if (awaitExit(process)) {
        return;
      }
      process.destroy();
      if (awaitExit(process)) {
        return;
      }
      process.destroyForcibly();
      awaitExit(process);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "the demo daemon (" + connector.home() + ")";
  }

  private static boolean awaitExit(ProcessHandle process) throws InterruptedException {
    try {
      process.onExit().get(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return !process.isAlive();
    }
  }
}

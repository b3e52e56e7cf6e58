package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Finds the daemon on the home's socket, and starts it when a command needs it: launches it, then waits
 * for its socket, polling with a short backoff, saying so on stderr once it takes more than a second.
 */
public final class DaemonConnector {

  /** How long {@link #connectOrStart} waits for a started daemon's socket by default. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private static final Duration QUIET = Duration.ofSeconds(1);
  private static final long MAX_BACKOFF_MILLIS = 200;

  private final HomeDir home;
  private final DaemonLauncher launcher;
  private final Duration startTimeout;

  public DaemonConnector(HomeDir home, DaemonLauncher launcher, Duration startTimeout) {
    this.home = requireNonNull(home, "home");
    this.launcher = requireNonNull(launcher, "launcher");
    this.startTimeout = requireNonNull(startTimeout, "startTimeout");
  }

  /** The user's daemon: {@code $DEVPROXY_HOME} or {@code ~/.devproxy}, started as a background process. */
  public static DaemonConnector system() {
    return new DaemonConnector(HomeDir.fromEnvironment(), new ProcessDaemonLauncher(), START_TIMEOUT);
  }

  public HomeDir home() {
    return home;
  }

  /** Whether a daemon accepts connections on the socket now. Creates nothing. */
  public boolean isRunning() {
    Path socket = home.socket();
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  /** A client for the running daemon; empty, and nothing started or created, when none runs. */
  public Optional<DaemonClient> connectIfRunning() {
    return isRunning() ? Optional.of(newClient()) : Optional.empty();
  }

  /**
   * A client for the running daemon, starting one if needed.
   *
   * @throws DaemonUnreachableException when it cannot be started or its socket does not appear in time
   * @throws DevproxyException CONFIG when the home cannot be created
   */
  public DaemonClient connectOrStart(Renderer renderer) throws DaemonUnreachableException, DevproxyException {
    if (isRunning()) {
      return newClient();
    }
    home.create();
    long start = System.nanoTime();
    ProcessHandle process = launcher.launch(home);
    boolean announced = false;
    long backoff = 10;
    while (true) {
      if (isRunning()) {
        return newClient();
      }
      if (!process.isAlive() && !isRunning()) {
        throw new DaemonUnreachableException(
            "the daemon exited while starting; check " + home.logFile() + " and " + home.outFile());
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      if (elapsed.compareTo(startTimeout) >= 0) {
        throw new DaemonUnreachableException(
            "the daemon did not open "
                + home.socket()
                + " within "
                + startTimeout.toSeconds()
                + " s; check "
                + home.logFile()
                + " and "
                + home.outFile());
      }
      if (!announced && elapsed.compareTo(QUIET) > 0) {
        renderer.progress("starting devproxy daemon…");
        announced = true;
      }
      sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }
  }

  /**
   * Waits until no daemon listens on the socket, showing {@code progress} after a second.
   *
   * @return whether it stopped within {@code timeout}
   */
  public boolean awaitStopped(Duration timeout, Renderer renderer, String progress) throws DaemonUnreachableException {
    long start = System.nanoTime();
    boolean announced = false;
    long backoff = 10;
    while (isRunning()) {
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      if (elapsed.compareTo(timeout) >= 0) {
        return false;
      }
      if (!announced && elapsed.compareTo(QUIET) > 0) {
        renderer.progress(progress);
        announced = true;
      }
      sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }
    return true;
  }

  private DaemonClient newClient() {
    return new DaemonClient(home.socket(), home.logFile());
  }

  private static void sleep(long millis) throws DaemonUnreachableException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DaemonUnreachableException("interrupted while waiting for the daemon", e);
    }
  }
}

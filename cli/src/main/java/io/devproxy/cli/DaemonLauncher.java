package io.devproxy.cli;

/** Starts a daemon process in the background; {@link ProcessDaemonLauncher} in production. */
@FunctionalInterface
public interface DaemonLauncher {

  /**
   * Starts a daemon on {@code home} (which exists) and returns at once, without waiting for its socket.
   *
   * @return the started process, so the caller notices when it dies while starting
   * @throws DaemonUnreachableException when it cannot be started at all
   */
  ProcessHandle launch(HomeDir home) throws DaemonUnreachableException;
}

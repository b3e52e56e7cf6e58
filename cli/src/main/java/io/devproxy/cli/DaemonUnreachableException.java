package io.devproxy.cli;

/**
 * The daemon is not running and cannot be started, or stopped answering. Exit code
 * {@value ExitCodes#DAEMON_UNREACHABLE}; the message says what to check.
 */
public final class DaemonUnreachableException extends Exception {
  private static final long serialVersionUID = 1L;

  public DaemonUnreachableException(String message) {
    super(message);
  }

  public DaemonUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}

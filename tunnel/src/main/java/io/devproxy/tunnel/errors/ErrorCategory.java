package io.devproxy.tunnel.errors;

/**
 * What kind of failure an error is, which decides the CLI's exit code and whether a hint is "fix your
 * input", "fix your setup" or "report a bug". Travels between daemon and CLI with the gRPC status.
 */
public enum ErrorCategory {
  /** The user asked for something that cannot be done as asked: a bad flag value, an unknown name. */
  USER(2),
  /** The machine's setup is wrong: a missing certificate, an unreadable config, a busy port. */
  CONFIG(3),
  /** The remote side failed: agent unreachable, TLS refused, the cluster said no. */
  CLUSTER(4),
  /** A devproxy bug. */
  INTERNAL(5);

  private final int exitCode;

  ErrorCategory(int exitCode) {
    this.exitCode = exitCode;
  }

  /** The CLI's exit code for this category. */
  public int exitCode() {
    return exitCode;
  }
}

package io.devproxy.tunnel.errors;

import static java.util.Objects.requireNonNull;

/**
 * A failure a user can act on. The message is the one line the user reads: what went wrong and what to do.
 */
public class DevproxyException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCategory category;

  public DevproxyException(ErrorCategory category, String message) {
    super(requireNonNull(message, "message"));
    this.category = requireNonNull(category, "category");
  }

  public DevproxyException(ErrorCategory category, String message, Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.category = requireNonNull(category, "category");
  }

  public ErrorCategory category() {
    return category;
  }
}

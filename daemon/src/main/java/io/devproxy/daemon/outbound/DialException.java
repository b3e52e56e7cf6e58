package io.devproxy.daemon.outbound;

/** A dial that did not connect, with the agent's reason and what kind of failure it was. */
public final class DialException extends Exception {

  private static final long serialVersionUID = 1L;

  /** What went wrong, for the proxy protocols' reply codes. */
  public enum Kind {
    /** No agent is connected to dial through. */
    NO_AGENT,
    /** The cluster's DNS does not know the name. */
    UNRESOLVED,
    /** The host refused the connection or is unreachable. */
    REFUSED,
    /** No answer within the connect timeout. */
    TIMEOUT,
    /** The request itself is bad (port 0, empty host). */
    INVALID,
    /** Anything else: the tunnel broke, the agent failed. */
    OTHER
  }

  private final Kind kind;

  public DialException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}

package io.devproxy.agent.front;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long a caller's connection on the service port may go without an exchange in progress. Neither bound ever
 * cuts an exchange that has started: a slow upload, a long download, a request waiting for the app or for a
 * tunnel stream all run to their end.
 *
 * @param requestHead how long an HTTP/1.1 request head may take to arrive in full: from the connection's opening,
 *     or from the first byte of a request on a keep-alive connection, to the blank line that ends the head (a
 *     connection that sent some of a head gets {@code 408} and is closed; one that sent nothing is closed). Like
 *     HAProxy's {@code timeout http-request}; the bound on slowloris callers
 * @param idle how long a connection may wait with no exchange in progress: an HTTP/1.1 keep-alive connection
 *     between a response and the next request's first byte (then closed), an HTTP/2 connection with no open
 *     stream, PINGs or not (then {@code GOAWAY NO_ERROR} and closed). Longer than the 60 s idle timeout of the
 *     usual load balancers and ingress proxies, so that the caller, not the agent, closes a pooled connection
 *     and never races a request against the agent's close
 */
public record CallerTimeouts(Duration requestHead, Duration idle) {

  /** 30 s for a request head, 120 s idle. */
  public static final CallerTimeouts DEFAULTS = new CallerTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(120));

  public CallerTimeouts {
    requireNonNull(requestHead, "requestHead");
    requireNonNull(idle, "idle");
    if (requestHead.isNegative() || requestHead.isZero()) {
      throw new IllegalArgumentException("requestHead: " + requestHead + " (expected: > 0)");
    }
    if (idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("idle: " + idle + " (expected: > 0)");
    }
  }
}

package io.devproxy.agent.admin;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The agent's counters, rendered as Prometheus text by the admin server. Thread-safe. */
public final class AgentMetrics {

  /** Where a request went. */
  public enum Route {
    /** Matched a session and went through the tunnel. */
    TUNNEL,
    /** Unmatched, passed to the app. */
    APP,
    /** Matched a session that was dropped while the request waited; passed to the app. */
    FALLBACK,
    /** Unmatched and no app: answered 503. */
    NO_APP,
    /** Rejected before routing: malformed or over a limit. */
    BAD_REQUEST
  }

  private final Map<Route, LongAdder> requests = new EnumMap<>(Route.class);
  private final AtomicLong activeTunnelExchanges = new AtomicLong();
  private final LongAdder tunnelExchanges = new LongAdder();
  private final LongAdder streamWaits = new LongAdder();
  private final Map<DialResult, LongAdder> dials = new EnumMap<>(DialResult.class);
  private final AtomicLong activeDials = new AtomicLong();
  private final LongAdder leaseCleanupsDone = new LongAdder();
  private final LongAdder leaseCleanupsFailed = new LongAdder();

  /** How an outbound dial for a daemon ended. */
  public enum DialResult {
    CONNECTED,
    UNRESOLVED,
    REFUSED,
    TIMEOUT,
    INVALID,
    FAILED
  }

  public AgentMetrics() {
    for (Route route : Route.values()) {
      requests.put(route, new LongAdder());
    }
    for (DialResult result : DialResult.values()) {
      dials.put(result, new LongAdder());
    }
  }

  /** A daemon's outbound dial ended with {@code result}; a connected one counts as active until closed. */
  public void dial(DialResult result) {
    dials.get(result).increment();
    if (result == DialResult.CONNECTED) {
      activeDials.incrementAndGet();
    }
  }

  /** A connected outbound dial closed. */
  public void dialClosed() {
    activeDials.decrementAndGet();
  }

  public long dials(DialResult result) {
    return dials.get(result).sum();
  }

  public long activeDials() {
    return activeDials.get();
  }

  public void request(Route route) {
    requests.get(route).increment();
  }

  public long requests(Route route) {
    return requests.get(route).sum();
  }

  public void tunnelExchangeStarted() {
    activeTunnelExchanges.incrementAndGet();
    tunnelExchanges.increment();
  }

  public void tunnelExchangeEnded() {
    activeTunnelExchanges.decrementAndGet();
  }

  public long activeTunnelExchanges() {
    return activeTunnelExchanges.get();
  }

  /** A matched exchange found no idle stream and had to wait for the daemon to open one. */
  public void streamWait() {
    streamWaits.increment();
  }

  public long streamWaits() {
    return streamWaits.sum();
  }

  public long tunnelExchanges() {
    return tunnelExchanges.sum();
  }

  /** The lease janitor cleaned up after an expired session and deleted its Lease. */
  public void leaseCleanupDone() {
    leaseCleanupsDone.increment();
  }

  /** The lease janitor's cleanup after an expired session failed; it tries again in a later round. */
  public void leaseCleanupFailed() {
    leaseCleanupsFailed.increment();
  }

  public long leaseCleanupsDone() {
    return leaseCleanupsDone.sum();
  }

  public long leaseCleanupsFailed() {
    return leaseCleanupsFailed.sum();
  }
}

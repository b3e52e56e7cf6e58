package io.devproxy.agent.routing;

import java.util.concurrent.atomic.LongAdder;

/**
 * One developer's intercept of this agent's port: a matcher and the daemon (client id) whose exchange
 * streams serve it. Mutable fields are guarded by the {@link SessionRegistry}.
 */
public final class Session {

  private final String id;
  private final LongAdder requests = new LongAdder();
  String owner;
  String name;
  String clientId;
  RequestMatcher matcher;
  /** The control stream currently holding the session, or null while in the grace period. */
  Object control;
  /** When the grace period ends (System.nanoTime), if disconnected. */
  long dropAtNanos;
  volatile long lastHeartbeatNanos;
  volatile boolean dropped;

  Session(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public synchronized String owner() {
    return owner;
  }

  public synchronized String name() {
    return name;
  }

  public synchronized String clientId() {
    return clientId;
  }

  public synchronized RequestMatcher matcher() {
    return matcher;
  }

  public synchronized boolean connected() {
    return control != null;
  }

  public boolean dropped() {
    return dropped;
  }

  public void heartbeat() {
    lastHeartbeatNanos = System.nanoTime();
  }

  /** How long since the daemon last said something on the session's control stream. */
  long silenceNanos(long nowNanos) {
    return nowNanos - lastHeartbeatNanos;
  }

  public void countRequest() {
    requests.increment();
  }

  public long requests() {
    return requests.sum();
  }

  @Override
  public String toString() {
    return "session " + id + " (" + owner() + ")";
  }
}

package io.devproxy.agent.routing;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.tunnel.Register;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The sessions this agent routes to, and their leases: a session lives while its control stream does, and
 * for a grace period after it breaks (a reconnecting daemon resumes it); then it is dropped and its traffic
 * falls back.
 *
 * <p>Thread-safe. Routing reads an immutable snapshot, so the hot path takes no lock.
 */
public final class SessionRegistry {

  private static final Logger logger = Logger.getLogger(SessionRegistry.class.getName());

  /** The outcome of a registration. */
  public record Registration(Session session, boolean resumed, String rejection) {}

  private final Duration grace;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final List<Consumer<Session>> dropListeners = new CopyOnWriteArrayList<>();
  private volatile Session[] routingOrder = new Session[0];

  /**
   * @param grace how long a session outlives its broken control stream
   * @param scheduler runs grace expiries; owned by the caller
   */
  public SessionRegistry(Duration grace, ScheduledExecutorService scheduler) {
    this.grace = requireNonNull(grace, "grace");
    this.scheduler = requireNonNull(scheduler, "scheduler");
  }

  /** Called (on a scheduler thread) after a session was dropped. */
  public void onDrop(Consumer<Session> listener) {
    dropListeners.add(listener);
  }

  /**
   * Registers or resumes a session for {@code control} (the control stream, compared by identity).
   * Rejected when another session's matcher could claim the same requests, or the matcher is invalid.
   */
  public synchronized Registration register(Register register, Object control) {
    RequestMatcher matcher;
    try {
      matcher = RequestMatcher.compile(register.getMatcher());
    } catch (IllegalArgumentException e) {
      return new Registration(null, false, "invalid matcher: " + e.getMessage());
    }
    for (Session other : sessions.values()) {
      if (!other.id().equals(register.getSessionId()) && other.matcher.overlaps(matcher)) {
        return new Registration(null, false, "the requests matching '" + matcher + "' are already intercepted by "
            + other.owner + " (intercept '" + other.name + "'); choose another --key or header");
      }
    }
    Session session = sessions.get(register.getSessionId());
    boolean resumed = session != null;
    if (session == null) {
      session = new Session(register.getSessionId());
      sessions.put(session.id(), session);
    }
    synchronized (session) {
      session.owner = register.getOwner();
      session.name = register.getName();
      session.clientId = register.getClientId();
      session.matcher = matcher;
      session.control = control;
      session.dropAtNanos = 0;
    }
    session.heartbeat();
    rebuildRoutingOrder();
    logger.info(() -> (resumed ? "resumed " : "registered ") + "session " + register.getSessionId() + " of "
        + register.getOwner() + " matching " + matcher);
    return new Registration(session, resumed, null);
  }

  /** The control stream broke: start the grace period, unless another stream took the session over. */
  public void disconnected(String sessionId, Object control) {
    Session session;
    synchronized (this) {
      session = sessions.get(sessionId);
    }
    if (session == null) {
      return;
    }
    long dropAt;
    synchronized (session) {
      if (session.control != control) {
        return;
      }
      session.control = null;
      dropAt = System.nanoTime() + grace.toNanos();
      session.dropAtNanos = dropAt;
    }
    logger.info(() -> "session " + sessionId + " lost its daemon; dropping it in " + grace.toMillis() + " ms unless it reconnects");
    scheduler.schedule(() -> dropIfStillDisconnected(session, dropAt), grace.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void dropIfStillDisconnected(Session session, long dropAt) {
    synchronized (this) {
      synchronized (session) {
        if (session.control != null || session.dropAtNanos != dropAt || sessions.get(session.id()) != session) {
          return;
        }
      }
      remove(session);
    }
    logger.info(() -> "dropped " + session + ": its traffic falls back");
    notifyDropped(session);
  }

  /**
   * Ends the control streams of connected sessions whose daemon sent nothing for {@code maxSilence} (a laptop
   * that closed its lid keeps its TCP connection half-open for minutes): their grace period starts now, and a
   * daemon that is merely slow reconnects and resumes within it. Called periodically.
   */
  public void expireSilent(Duration maxSilence) {
    long now = System.nanoTime();
    List<Session> silent = new ArrayList<>();
    synchronized (this) {
      for (Session session : sessions.values()) {
        synchronized (session) {
          if (session.control != null && session.silenceNanos(now) > maxSilence.toNanos()) {
            silent.add(session);
          }
        }
      }
    }
    for (Session session : silent) {
      Object control;
      synchronized (session) {
        control = session.control;
      }
      logger.info(() -> session + " sent no heartbeat for " + maxSilence.toSeconds() + " s; ending its control stream");
      disconnected(session.id(), control);
      if (control instanceof ControlChannel channel) {
        channel.abort("devproxy: no heartbeat for " + maxSilence.toSeconds() + " s");
      }
    }
  }

  /** The daemon left: drop at once. */
  public void unregister(String sessionId) {
    Session session;
    synchronized (this) {
      session = sessions.get(sessionId);
      if (session == null) {
        return;
      }
      remove(session);
    }
    logger.info(() -> "session " + sessionId + " left");
    notifyDropped(session);
  }

  private void remove(Session session) {
    sessions.remove(session.id());
    session.dropped = true;
    rebuildRoutingOrder();
  }

  private void notifyDropped(Session session) {
    for (Consumer<Session> listener : dropListeners) {
      listener.accept(session);
    }
  }

  private void rebuildRoutingOrder() {
    List<Session> order = new ArrayList<>();
    for (Session session : sessions.values()) {
      if (session.matcher.headerBased()) {
        order.add(session);
      }
    }
    for (Session session : sessions.values()) {
      if (!session.matcher.headerBased()) {
        order.add(session);
      }
    }
    routingOrder = order.toArray(new Session[0]);
  }

  /** The session that claims {@code request}: header-matched sessions first, then path-only; else null. */
  public Session route(RequestMatcher.Request request) {
    for (Session session : routingOrder) {
      if (session.matcher().matches(request)) {
        return session;
      }
    }
    return null;
  }

  /** A snapshot, for status and metrics. */
  public synchronized List<Session> sessions() {
    return List.copyOf(sessions.values());
  }

  public Duration grace() {
    return grace;
  }
}

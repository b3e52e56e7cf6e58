package io.devproxy.agent.tunnel;

import io.devproxy.agent.routing.Session;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One daemon's idle Exchange streams, and the exchanges waiting for one. A waiting exchange is served by the
 * next stream the daemon offers, or falls back when its session is dropped. Thread-safe.
 */
public final class ClientStreams {

  /** An exchange waiting for a stream. Callbacks run on whatever thread offers or drops. */
  public interface Waiter {
    Session session();

    /** A stream for the exchange. Return false to refuse it (the exchange is gone); it goes to the next. */
    boolean onStream(TunnelStream stream);

    /** The session was dropped while waiting. */
    void onSessionDropped();
  }

  private final String clientId;
  private final ArrayDeque<TunnelStream> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private volatile IntConsumer demand = n -> {};

  ClientStreams(String clientId) {
    this.clientId = clientId;
  }

  public String clientId() {
    return clientId;
  }

  /** Where to ask the daemon for more streams: the newest control stream of this client. */
  void demandSink(IntConsumer demand) {
    this.demand = demand;
  }

  void offer(TunnelStream stream) {
    while (true) {
      Waiter waiter;
      synchronized (this) {
        waiter = waiters.pollFirst();
        if (waiter == null) {
          idle.addLast(stream);
          return;
        }
      }
      if (waiter.onStream(stream)) {
        return;
      }
    }
  }

  void remove(TunnelStream stream) {
    synchronized (this) {
      idle.remove(stream);
    }
  }

  /** An idle stream, or null. The caller attaches it at once. */
  public TunnelStream poll() {
    synchronized (this) {
      TunnelStream stream;
      while ((stream = idle.pollFirst()) != null) {
        if (stream.usable()) {
          return stream;
        }
      }
    }
    return null;
  }

  /** Queues {@code waiter} for the next offered stream and asks the daemon for one. */
  public void await(Waiter waiter) {
    TunnelStream stream = null;
    synchronized (this) {
      while ((stream = idle.pollFirst()) != null && !stream.usable()) {
        // discard dead idle streams
      }
      if (stream == null) {
        waiters.addLast(waiter);
      }
    }
    if (stream != null) {
      if (!waiter.onStream(stream)) {
        offer(stream);
      }
      return;
    }
    demand.accept(1);
  }

  /** Forgets {@code waiter} (its exchange ended while waiting). */
  public void cancel(Waiter waiter) {
    synchronized (this) {
      waiters.remove(waiter);
    }
  }

  /** Fails the waiters of a dropped session over to their fallback. */
  void sessionDropped(Session session) {
    List<Waiter> dropped = new ArrayList<>();
    synchronized (this) {
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (waiter.session() == session) {
          it.remove();
          dropped.add(waiter);
        }
      }
    }
    dropped.forEach(Waiter::onSessionDropped);
  }

  public synchronized int idleCount() {
    return idle.size();
  }

  public synchronized int waiting() {
    return waiters.size();
  }
}

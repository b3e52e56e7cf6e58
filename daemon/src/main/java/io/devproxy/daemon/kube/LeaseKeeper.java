package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Renews a set of session Leases ({@link SessionLeases#renew}) every third of their duration, so that one
 * failed renewal never lets a Lease expire.
 *
 * <p>Runs on a {@link ScheduledExecutorService} the caller owns and shuts down; {@link #close} only cancels
 * this keeper's task. A failing renewal is logged once (at warning, without a stack trace) until it succeeds
 * again; nothing is ever thrown into the scheduler, which would cancel the task. Thread-safe; {@link #close} is
 * idempotent and a renewal racing with it is skipped.
 *
 * <p>RBAC: as {@link SessionLeases#renew}.
 */
public final class LeaseKeeper implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(LeaseKeeper.class.getName());

  private final SessionLeases leases;
  private final ScheduledExecutorService executor;
  private final Duration period;
  /** namespace/name → whether its last renewal failed. */
  private final Map<Key, Boolean> failing = new ConcurrentHashMap<>();
  private ScheduledFuture<?> task;
  private volatile boolean closed;

  private record Key(String namespace, String name) {}

  /** A keeper renewing every {@code leases.leaseDuration() / 3}; call {@link #start}. */
  public LeaseKeeper(SessionLeases leases, ScheduledExecutorService executor) {
    this.leases = requireNonNull(leases, "leases");
    this.executor = requireNonNull(executor, "executor");
    this.period = leases.leaseDuration().dividedBy(3);
  }

  /** Renews {@code leaseName} from the next round on. */
  public void add(String namespace, String leaseName) {
    failing.putIfAbsent(new Key(requireNonNull(namespace, "namespace"), requireNonNull(leaseName, "leaseName")),
        false);
  }

  /** Stops renewing {@code leaseName}; release it with {@link SessionLeases#release}. */
  public void remove(String namespace, String leaseName) {
    failing.remove(new Key(namespace, leaseName));
  }

  /** How often the Leases are renewed. */
  public Duration period() {
    return period;
  }

  /** Schedules the renewals, the first one period from now. Does nothing when started or closed. */
  public synchronized void start() {
    if (task != null || closed) {
      return;
    }
    long millis = period.toMillis();
    task = executor.scheduleAtFixedRate(this::renewAll, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** One round of renewals; never throws. */
  void renewAll() {
    for (Key key : failing.keySet()) {
      if (closed) {
        return;
      }
      try {
        leases.renew(key.namespace(), key.name());
        if (Boolean.TRUE.equals(failing.replace(key, false))) {
          logger.log(Level.INFO, "[{0}/{1}] Renewing the session Lease works again",
              new Object[] {key.namespace(), key.name()});
        }
      } catch (Exception e) {
        // Only a key still present is marked failing: a concurrent remove() wins.
        if (Boolean.FALSE.equals(failing.replace(key, true))) {
          logger.log(Level.WARNING, "[{0}/{1}] Cannot renew the session Lease (retrying every {2} s): {3}",
              new Object[] {key.namespace(), key.name(), period.toSeconds(), e.getMessage()});
        } else {
          logger.log(Level.FINE, "[{0}/{1}] Still cannot renew the session Lease: {2}",
              new Object[] {key.namespace(), key.name(), e.getMessage()});
        }
      }
    }
  }

  /** Cancels the renewals; the Leases stay until released or expired. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    if (task != null) {
      task.cancel(false);
    }
  }
}

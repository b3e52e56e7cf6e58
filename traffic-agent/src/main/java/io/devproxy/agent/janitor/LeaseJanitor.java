package io.devproxy.agent.janitor;

import static java.util.Objects.requireNonNull;

import io.devproxy.agent.admin.AgentMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Cleans up after a developer whose laptop vanished: when a session Lease naming this agent's workload expires
 * (its daemon stopped renewing it), the agent restores the workload itself, as the daemon would at its next start
 * ({@code KubeProvisioner.collectExpired}, {@code AgentInstaller.collect}), instead of leaving teammates with an
 * agent nobody uses.
 *
 * <p>Each round lists the devproxy Leases of the namespace and keeps the session Leases whose
 * {@code devproxy.io/workload} is this agent's ({@link JanitorConfig#workload()}); a Lease of another workload is
 * that workload's agents' business. For each expired one, in name order, "last" meaning no live Lease names the
 * workload when the Leases are read again just before:
 * <ol>
 *   <li>the session's Ambassador/Emissary edge routes, its Mappings then its Hosts, are deleted
 *       ({@link SessionEdgeRoutes}; nothing to do where no such CRD is served), first: a shadow session's routes
 *       point at the shadow Service that goes next;
 *   <li>a shadow copy (the agent runs in {@code <name>-devproxy-<key>}) of the Lease's session: its Service
 *       ({@link JanitorConfig#shadowService()}), then the Deployment are deleted;
 *   <li>a workload swapped by the Lease's session: the original container is put back;
 *   <li>else, when last, a workload running the sidecar: the Service whose numeric targetPort was pointed at
 *       the agent first, then the workload are restored from their {@code devproxy.io/restore} annotations;
 *   <li>when last, the agent TLS Secret {@code devproxy-agent-tls-<workload>} is deleted;
 *   <li>the Lease is deleted, last, so a failed cleanup is tried again (here, or by a daemon); unless the API
 *       refused (401/403) to list or delete the session's Mappings or Hosts: then the Lease stays, so that the next
 *       daemon's cleanup, which can delete them, still finds the session.
 * </ol>
 * Restores are GET then PUT carrying the resourceVersion read; a 409 reads again, up to 3 times, and an object that
 * no longer carries the mark is left alone. So the other replicas of the workload, which all run a janitor, find
 * nothing left to do, and a Lease already deleted is fine. Restoring the workload rolls this very pod, once.
 *
 * <p>401/403 (the default: the app's ServiceAccount has no devproxy Role) is logged once per missing permission, at
 * INFO, and the janitor looks again after {@link JanitorConfig#forbiddenBackoff()}; other failures are logged at
 * WARNING when their message changes and back off exponentially up to that. A 401/403 on the edge routes (a Role
 * from before devproxy wrote them) is logged the same way, but the cleanup goes on and restores the workload; it
 * counts as failed, for its Lease stays, and the next round also comes after the forbidden back-off. Nothing here
 * touches traffic.
 *
 * <p>RBAC in the namespace: list and delete on {@code leases.coordination.k8s.io}; list and delete on
 * {@code mappings.getambassador.io} and {@code hosts.getambassador.io} (where Ambassador's CRDs are installed:
 * API discovery, which needs no Role, tells); get and update on {@code deployments.apps} or
 * {@code statefulsets.apps}, and on {@code services}; delete on {@code secrets}; for a shadow, delete on
 * {@code deployments.apps} and get and delete on {@code services}.
 *
 * <p>Owns its scheduler thread and HTTP client: {@link #close()} stops both. Rounds run one at a time.
 */
public final class LeaseJanitor implements AutoCloseable {

  static final int CONFLICT_RETRIES = 3;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  private static final Logger logger = Logger.getLogger(LeaseJanitor.class.getName());

  private final JanitorConfig config;
  private final ServiceAccount account;
  private final KubeApi api;
  private final JsonMapper json;
  private final RestoreRecords records;
  private final Clock clock;
  private final AgentMetrics metrics;
  private final String namespace;
  private final ApiResource workloadResource;
  private final SessionEdgeRoutes edgeRoutes;
  private final String prefix;
  private final Object roundLock = new Object();
  /** Missing permissions already logged at INFO, as {@code verb resource}. */
  private final Set<String> reportedForbidden = ConcurrentHashMap.newKeySet();
  private String lastFailure;
  private int failures;
  private ScheduledExecutorService scheduler;
  private volatile boolean closed;

  private LeaseJanitor(JanitorConfig config, ServiceAccount account, Clock clock, AgentMetrics metrics) {
    this.config = config;
    this.account = account;
    this.clock = clock;
    this.metrics = metrics;
    this.json = JsonMapper.builder().build();
    this.api = new KubeApi(account, json, CALL_TIMEOUT);
    this.records = new RestoreRecords(json);
    this.namespace = account.namespace();
    this.workloadResource = ApiResource.ofWorkloadKind(config.workloadKind());
    this.edgeRoutes = new SessionEdgeRoutes(api, namespace);
    this.prefix = "[" + namespace + "/" + config.workload() + "]";
  }

  /**
   * Starts the rounds when the pod can call the API (a ServiceAccount token is mounted); otherwise logs why at
   * INFO and returns null: developers' daemons clean up instead.
   *
   * @return the running janitor, which the caller closes; null when it cannot run
   */
  public static LeaseJanitor start(JanitorConfig config, AgentMetrics metrics) {
    requireNonNull(config, "config");
    requireNonNull(metrics, "metrics");
    LeaseJanitor janitor;
    try {
      janitor = create(config, System.getenv(), Clock.systemUTC(), metrics);
    } catch (ServiceAccount.Unavailable e) {
      logger.info(() -> "lease janitor off: " + e.getMessage() + "; developers' daemons clean up after expired"
          + " sessions of " + config.workload());
      return null;
    }
    return janitor.startRounds();
  }

  /** A janitor that runs no rounds until {@link #startRounds()}; tests call {@link #round()} themselves. */
  static LeaseJanitor create(JanitorConfig config, Map<String, String> env, Clock clock, AgentMetrics metrics)
      throws ServiceAccount.Unavailable {
    ServiceAccount account = ServiceAccount.detect(config.serviceAccountDir(), config.apiServer(), env);
    return new LeaseJanitor(config, account, requireNonNull(clock, "clock"), requireNonNull(metrics, "metrics"));
  }

  /** Runs a round after about one interval, and each next one as {@link #round()} says. */
  synchronized LeaseJanitor startRounds() {
    if (scheduler != null || closed) {
      return this;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "devproxy-agent-lease-janitor");
      t.setDaemon(true);
      return t;
    });
    logger.info(() -> prefix + " lease janitor on: restores " + config.workload() + " when a session's Lease"
        + " expires (looks every " + human(config.interval()) + ")");
    schedule(jittered(config.interval()));
    return this;
  }

  private void schedule(Duration delay) {
    try {
      scheduler.schedule(this::tick, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private void tick() {
    if (closed) {
      return;
    }
    Duration next;
    try {
      next = round();
    } catch (InterruptedException e) {
      return; // close() stops the scheduler
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, prefix + " lease janitor round failed", e);
      next = config.forbiddenBackoff();
    }
    if (!closed) {
      schedule(next);
    }
  }

  /**
   * One look at the Leases and the cleanups they call for.
   *
   * @return how long to wait before the next round: about one interval, {@link JanitorConfig#forbiddenBackoff()}
   *     after 401/403, an exponential back-off after other failures
   */
  Duration round() throws InterruptedException {
    synchronized (roundLock) {
      try {
        Tally tally = cleanUpExpired();
        if (tally.failed() > 0) {
          return backOff();
        }
        failures = 0;
        return tally.leasesKept() == 0 ? jittered(config.interval()) : config.forbiddenBackoff();
      } catch (ApiException e) {
        if (e.forbidden()) {
          reportForbidden(e, "lease janitor paused", "developers' daemons clean up after expired sessions instead");
          return config.forbiddenBackoff();
        }
        reportFailure(e.getMessage());
        return backOff();
      }
    }
  }

  /**
   * What the cleanups of one round came to.
   *
   * @param failed how many failed (other than by 401/403, which ends the round)
   * @param leasesKept how many restored what they could but kept the Lease: the edge routes were forbidden
   */
  private record Tally(int failed, int leasesKept) {}

  private Tally cleanUpExpired() throws ApiException, InterruptedException {
    List<SessionLease> expired = sessionLeases().stream().filter(l -> l.expired(clock.instant()))
        .sorted(Comparator.comparing(SessionLease::name)).toList();
    int failed = 0;
    int kept = 0;
    for (SessionLease lease : expired) {
      if (closed) {
        break;
      }
      try {
        // Read again just before: a developer who intercepts the workload now takes a Lease before injecting,
        // and must not lose the agent they are about to share (the daemon's collectExpired reads again too).
        Instant now = clock.instant();
        boolean last = sessionLeases().stream().allMatch(l -> l.expired(now));
        switch (cleanUp(lease, last)) {
          case LEASE_DELETED -> metrics.leaseCleanupDone();
          case LEASE_KEPT -> {
            metrics.leaseCleanupFailed();
            kept++;
          }
          case LEASE_GONE -> { }
        }
      } catch (ApiException e) {
        metrics.leaseCleanupFailed();
        if (e.forbidden()) {
          throw e;
        }
        failed++;
        reportFailure("cannot clean up after the expired session Lease " + lease.name() + ": " + e.getMessage());
      }
    }
    return new Tally(failed, kept);
  }

  /** The session Leases of the namespace that name this agent's workload. */
  private List<SessionLease> sessionLeases() throws ApiException, InterruptedException {
    List<SessionLease> mine = new ArrayList<>();
    for (JsonNode item : api.list(ApiResource.LEASES, namespace, SessionLease.SELECTOR).path("items")) {
      SessionLease lease = SessionLease.of(item);
      if (lease != null && config.workload().equals(lease.workload())) {
        mine.add(lease);
      }
    }
    return mine;
  }

  /** How one cleanup ended. */
  private enum Outcome {
    /** This call deleted the Lease. */
    LEASE_DELETED,
    /** The Lease was gone: another replica or a daemon cleaned up. */
    LEASE_GONE,
    /** The API refused (401/403) to list or delete the session's edge routes: the Lease stays for a daemon. */
    LEASE_KEPT
  }

  private Outcome cleanUp(SessionLease lease, boolean last) throws ApiException, InterruptedException {
    List<String> changes = new ArrayList<>();
    // Edge routes first: a shadow session's routes point at the shadow Service deleted below.
    SessionEdgeRoutes.Deleted routes = edgeRoutes.delete(lease.session());
    routes.deleted().forEach(route -> changes.add("deleted " + route));
    routes.forbidden().forEach(e -> reportForbidden(e, "lease janitor", "workloads are restored, but expired sessions'"
        + " edge routes, and their Leases, are left to developers' daemons"));
    String name = config.workloadName();
    String what = config.workloadKind().toLowerCase(Locale.ROOT) + "/" + name;
    JsonNode workload = api.get(workloadResource, namespace, name);
    if (workload == null || RestoreRecords.isShadow(workload)) {
      // A shadow copy of the session (or what is left of it, or a workload deleted meanwhile): as the daemon's
      // ShadowInstaller.uninstallSession, the Service first, then the Deployment.
      deleteShadowService(lease, changes);
      if (workload != null && lease.session().equals(RestoreRecords.shadowSession(workload))
          && api.delete(workloadResource, namespace, name)) {
        changes.add("deleted " + what);
      }
    } else if (records.isSwapped(workload)) {
      if (lease.session().equals(records.swapSession(workload))
          && restore(workloadResource, name, w -> records.isSwapped(w)
              && lease.session().equals(records.swapSession(w)), records::restoreWorkload)) {
        changes.add("restored " + what + " (swap of session " + lease.session() + ")");
      }
    } else if (last && records.isInjected(workload)) {
      String service = records.interceptedService(workload);
      if (service != null) {
        if (restore(ApiResource.SERVICES, service, records::isInjected, records::restoreService)) {
          changes.add("restored service/" + service);
        }
        if (restore(workloadResource, name, records::isInjected, records::restoreWorkload)) {
          changes.add("restored " + what);
        }
      }
    }
    String secret = "devproxy-agent-tls-" + name;
    if (last && api.delete(ApiResource.SECRETS, namespace, secret)) {
      changes.add("deleted secret/" + secret);
    }
    boolean kept = !routes.forbidden().isEmpty();
    boolean deleted = !kept && api.delete(ApiResource.LEASES, namespace, lease.name());
    if (deleted || !changes.isEmpty()) {
      String done = changes.isEmpty() ? "nothing to restore" : String.join(", ", changes);
      logger.info(() -> prefix + " session Lease " + lease.name() + " of " + lease.holder() + " expired: " + done
          + (last ? "" : " (other sessions still use the agent)")
          + (kept ? "; the Lease stays until a developer's daemon deletes the session's edge routes" : ""));
    }
    return kept ? Outcome.LEASE_KEPT : deleted ? Outcome.LEASE_DELETED : Outcome.LEASE_GONE;
  }

  private void deleteShadowService(SessionLease lease, List<String> changes) throws ApiException, InterruptedException {
    String service = config.shadowService();
    if (service == null) {
      return;
    }
    JsonNode shadow = api.get(ApiResource.SERVICES, namespace, service);
    if (shadow != null && RestoreRecords.isShadow(shadow)
        && lease.session().equals(RestoreRecords.shadowSession(shadow))
        && api.delete(ApiResource.SERVICES, namespace, service)) {
      changes.add("deleted service/" + service);
    }
  }

  /**
   * GET, restore, PUT with the resourceVersion read; after a 409 once more, up to {@value #CONFLICT_RETRIES}
   * times.
   *
   * @param stillOurs whether the object as read still needs this restore; when not, nothing is written
   * @return whether this call wrote the restored object
   */
  private boolean restore(ApiResource resource, String name, Predicate<JsonNode> stillOurs,
      UnaryOperator<JsonNode> restore) throws ApiException, InterruptedException {
    for (int attempt = 0; ; attempt++) {
      JsonNode fresh = api.get(resource, namespace, name);
      if (fresh == null || !stillOurs.test(fresh)) {
        return false;
      }
      try {
        api.update(resource, namespace, name, restore.apply(fresh));
        return true;
      } catch (ApiException e) {
        if (!e.conflict() || attempt >= CONFLICT_RETRIES) {
          throw e;
        }
        logger.fine(() -> prefix + " " + resource.rbacName() + " " + name + " changed while restoring; reading it again");
      }
    }
  }

  /**
   * Logs a 401/403 at INFO the first time its permission is missing, at FINE after.
   *
   * @param state what the janitor is now: "lease janitor paused"
   * @param consequence what is left to developers' daemons, and what not
   */
  private void reportForbidden(ApiException e, String state, String consequence) {
    String permission = e.verb() + " " + e.resource().rbacName();
    Level level = reportedForbidden.add(permission) ? Level.INFO : Level.FINE;
    if (logger.isLoggable(level)) {
      logger.log(level, prefix + " " + state + ": " + account.displayName(json) + " may not " + permission
          + " in namespace " + namespace + " (HTTP " + e.status() + "), so " + consequence + "; 'devproxy rbac"
          + " --agent' prints the Role that lets the agent do it. Trying again in " + human(config.forbiddenBackoff()));
    }
  }

  private void reportFailure(String message) {
    failures++;
    Level level = Objects.equals(message, lastFailure) ? Level.FINE : Level.WARNING;
    lastFailure = message;
    logger.log(level, prefix + " lease janitor: " + message);
  }

  /** interval × 2^failures, at most the forbidden back-off. */
  private Duration backOff() {
    Duration delay = config.interval().multipliedBy(1L << Math.min(failures, 20));
    return delay.compareTo(config.forbiddenBackoff()) > 0 ? config.forbiddenBackoff() : jittered(delay);
  }

  private static Duration jittered(Duration d) {
    double factor = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (d.toMillis() * factor)));
  }

  private static String human(Duration d) {
    if (d.toMillis() % 3_600_000 == 0) {
      return d.toHours() + "h";
    }
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + "m";
    }
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** Stops the rounds (a round in flight is interrupted) and the HTTP client's executor. Idempotent. */
  @Override
  public void close() {
    ScheduledExecutorService s;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      s = scheduler;
    }
    if (s != null) {
      s.shutdownNow();
    }
    api.close();
  }

  /** Waits until the scheduler thread and the HTTP client's threads have ended, after {@link #close()}. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ScheduledExecutorService s;
    synchronized (this) {
      s = scheduler;
    }
    if (s != null && !s.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      return false;
    }
    return api.awaitTermination(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }
}

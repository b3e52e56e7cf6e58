package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * One {@code coordination.k8s.io/v1} Lease per intercept session, named {@code devproxy-<the session id's hex
 * digits>}, held by the developer ({@code user@host}) and renewed by their daemon ({@link LeaseKeeper}).
 * A Lease whose {@code renewTime + leaseDurationSeconds} has passed ({@link #expired}) belongs to a daemon that
 * vanished: the agent or the next daemon start cleans its session up.
 *
 * <p>Each Lease carries the labels {@code app.kubernetes.io/managed-by: devproxy} and
 * {@code devproxy.io/session: <session id>}, and the annotations {@code devproxy.io/workload: <Kind>/<name>}
 * and {@code devproxy.io/intercept: <intercept name>} that say what to clean up.
 *
 * <p>Thread-safe. The caller owns and closes the {@link KubernetesClient}. Writes use the Lease's
 * {@code resourceVersion}; a 409 reads the Lease again and retries up to 3 times.
 */
public final class SessionLeases {

  /** The lease duration unless told otherwise. */
  public static final Duration DEFAULT_DURATION = Duration.ofSeconds(30);
  /** The label holding the session id. */
  public static final String SESSION_LABEL = "devproxy.io/session";
  /** The annotation holding the intercepted workload as {@code Kind/name}. */
  public static final String WORKLOAD_ANNOTATION = "devproxy.io/workload";
  /** The annotation holding the intercept's name. */
  public static final String INTERCEPT_ANNOTATION = "devproxy.io/intercept";

  static final String PREFIX = "devproxy-";
  /** A UUID's 32 hex digits: unique per session, and the name stays within 63 characters. */
  private static final int ID_CHARS = 32;
  private static final String RESOURCE = "leases.coordination.k8s.io";
  private static final Logger logger = Logger.getLogger(SessionLeases.class.getName());

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration leaseDuration;
  /** The Leases this instance acquired, by namespace/name, to recreate one that was deleted. */
  private final Map<String, Lease> acquired = new ConcurrentHashMap<>();

  /** Leases of {@link #DEFAULT_DURATION}. */
  public SessionLeases(KubernetesClient client, Clock clock) {
    this(client, clock, DEFAULT_DURATION);
  }

  /** @param leaseDuration how long a Lease lives without renewal, whole seconds, at least 3 */
  public SessionLeases(KubernetesClient client, Clock clock, Duration leaseDuration) {
    this.client = requireNonNull(client, "client");
    this.clock = requireNonNull(clock, "clock");
    requireNonNull(leaseDuration, "leaseDuration");
    if (leaseDuration.getSeconds() < 3 || leaseDuration.getNano() != 0) {
      throw new IllegalArgumentException("leaseDuration: " + leaseDuration + " (expected: whole seconds, >= 3s)");
    }
    this.leaseDuration = leaseDuration;
  }

  /** How long a Lease lives without renewal. */
  public Duration leaseDuration() {
    return leaseDuration;
  }

  /** {@code devproxy-} and the first 32 letters or digits of {@code sessionId} (a UUID's hex digits), lower case. */
  public static String leaseName(String sessionId) {
    requireNonNull(sessionId, "sessionId");
    String id = sessionId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("sessionId: '" + sessionId + "' (expected: letters or digits)");
    }
    return PREFIX + id.substring(0, Math.min(ID_CHARS, id.length()));
  }

  /**
   * Creates the session's Lease, held by {@code owner} and renewed now; a Lease of the same session that is
   * there already (a restarted daemon) is taken over and renewed.
   *
   * <p>RBAC: {@code create}, {@code get} and {@code update} on {@code leases.coordination.k8s.io}.
   *
   * @param workloadKind e.g. {@code Deployment}
   * @throws DevproxyException CLUSTER if the API refuses, or if another session holds a Lease of that name
   */
  public Lease acquire(String namespace, String sessionId, String owner, String workloadKind,
      String workloadName, String interceptName) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(owner, "owner");
    requireNonNull(workloadKind, "workloadKind");
    requireNonNull(workloadName, "workloadName");
    requireNonNull(interceptName, "interceptName");
    String name = leaseName(sessionId);
    ZonedDateTime now = now();
    Lease template = new LeaseBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name)
            .addToLabels(AgentTlsSecrets.MANAGED_BY, AgentTlsSecrets.DEVPROXY)
            .addToLabels(SESSION_LABEL, sessionId)
            .addToAnnotations(WORKLOAD_ANNOTATION, workloadKind + "/" + workloadName)
            .addToAnnotations(INTERCEPT_ANNOTATION, interceptName)
        .endMetadata()
        .withNewSpec().withHolderIdentity(owner).withLeaseDurationSeconds((int) leaseDuration.getSeconds())
            .withAcquireTime(now).withRenewTime(now).endSpec()
        .build();
    acquired.put(key(namespace, name), template);
    try {
      Lease created = client.leases().inNamespace(namespace).resource(template).create();
      logger.log(Level.FINE, "[{0}/{1}] Acquired the session Lease", new Object[] {namespace, name});
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        acquired.remove(key(namespace, name));
        throw KubeCalls.translate(e, "create", RESOURCE, namespace);
      }
    }
    Lease existing = get(namespace, name);
    String holderSession = existing == null ? sessionId : existing.getMetadata().getLabels().get(SESSION_LABEL);
    if (!sessionId.equals(holderSession)) {
      acquired.remove(key(namespace, name));
      throw new DevproxyException(ErrorCategory.CLUSTER, "the Lease " + namespace + "/" + name
          + " belongs to another session (" + holderSession + "); leave that session or delete the Lease"
          + " (kubectl delete lease " + name + " -n " + namespace + ")");
    }
    return renew(namespace, name);
  }

  /**
   * Sets the Lease's {@code renewTime} to now, recreating it if it was deleted and this instance acquired it.
   *
   * <p>RBAC: {@code get}, {@code update} and, after a deletion, {@code create} on
   * {@code leases.coordination.k8s.io}.
   *
   * @return the Lease as the API server holds it now
   * @throws DevproxyException CLUSTER if the API refuses or the Lease keeps changing; USER if the Lease is
   *     gone and this instance never acquired it
   */
  public Lease renew(String namespace, String leaseName) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(leaseName, "leaseName");
    for (int attempt = 0; ; attempt++) {
      Lease current = get(namespace, leaseName);
      String verb = current == null ? "create" : "update";
      try {
        if (current == null) {
          Lease template = acquired.get(key(namespace, leaseName));
          if (template == null) {
            throw new DevproxyException(ErrorCategory.USER, "the Lease " + namespace + "/" + leaseName
                + " is gone; start the intercept again");
          }
          Lease recreated = client.leases().inNamespace(namespace).resource(new LeaseBuilder(template)
              .editSpec().withRenewTime(now()).endSpec().build()).create();
          logger.log(Level.INFO, "[{0}/{1}] The session Lease was deleted; created it again",
              new Object[] {namespace, leaseName});
          return recreated;
        }
        return client.leases().inNamespace(namespace).resource(new LeaseBuilder(current)
            .editOrNewSpec().withRenewTime(now()).endSpec().build()).update();
      } catch (KubernetesClientException e) {
        boolean retry = e.getCode() == 409 || (e.getCode() == 404 && current != null);
        if (!retry || attempt >= AgentTlsSecrets.CONFLICT_RETRIES) {
          throw KubeCalls.translate(e, verb, RESOURCE, namespace);
        }
      }
    }
  }

  /**
   * Deletes the Lease; nothing if it is gone. The session is over: a later {@link #renew} does not recreate it.
   *
   * <p>RBAC: {@code delete} on {@code leases.coordination.k8s.io}.
   */
  public void release(String namespace, String leaseName) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(leaseName, "leaseName");
    acquired.remove(key(namespace, leaseName));
    KubeCalls.call("delete", RESOURCE, namespace,
        () -> client.leases().inNamespace(namespace).withName(leaseName).delete());
  }

  /**
   * Every devproxy session Lease in {@code namespace}, live or expired.
   *
   * <p>RBAC: {@code list} on {@code leases.coordination.k8s.io}.
   */
  public List<Lease> all(String namespace) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    return KubeCalls.call("list", RESOURCE, namespace,
        () -> client.leases().inNamespace(namespace)
            .withLabel(AgentTlsSecrets.MANAGED_BY, AgentTlsSecrets.DEVPROXY).list().getItems()).stream()
        .filter(l -> l.getMetadata().getLabels() != null && l.getMetadata().getLabels().containsKey(SESSION_LABEL))
        .collect(Collectors.toList());
  }

  /** Whether {@code lease} has expired by the clock's now. */
  public boolean isExpired(Lease lease) {
    return isExpired(lease, clock.instant());
  }

  /**
   * The devproxy session Leases in {@code namespace} whose {@code renewTime} (else {@code acquireTime}) plus
   * {@code leaseDurationSeconds} is before the clock's now; a Lease with neither time counts as expired.
   *
   * <p>RBAC: {@code list} on {@code leases.coordination.k8s.io}.
   */
  public List<Lease> expired(String namespace) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    List<Lease> leases = KubeCalls.call("list", RESOURCE, namespace,
        () -> client.leases().inNamespace(namespace)
            .withLabel(AgentTlsSecrets.MANAGED_BY, AgentTlsSecrets.DEVPROXY).list().getItems());
    Instant now = clock.instant();
    return leases.stream()
        .filter(l -> l.getMetadata().getLabels() != null
            && l.getMetadata().getLabels().containsKey(SESSION_LABEL))
        .filter(l -> isExpired(l, now))
        .collect(Collectors.toList());
  }

  private static boolean isExpired(Lease lease, Instant now) {
    if (lease.getSpec() == null) {
      return true;
    }
    ZonedDateTime last = lease.getSpec().getRenewTime() != null
        ? lease.getSpec().getRenewTime() : lease.getSpec().getAcquireTime();
    if (last == null) {
      return true;
    }
    Integer seconds = lease.getSpec().getLeaseDurationSeconds();
    Duration duration = seconds == null ? DEFAULT_DURATION : Duration.ofSeconds(seconds);
    return last.toInstant().plus(duration).isBefore(now);
  }

  private Lease get(String namespace, String name) throws DevproxyException {
    return KubeCalls.call("get", RESOURCE, namespace,
        () -> client.leases().inNamespace(namespace).withName(name).get());
  }

  /** Now, to the microsecond: a Lease's times are MicroTime. */
  private ZonedDateTime now() {
    return ZonedDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}

package io.devproxy.agent.janitor;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the {@link LeaseJanitor} looks after and how often.
 *
 * @param workloadKind {@code Deployment} or {@code StatefulSet}: the kind of the workload whose pods run this agent
 * @param workloadName that workload's name (a shadow Deployment's, in a shadow copy)
 * @param shadowService the shadow's own Service, deleted with it; null unless the agent runs in a shadow copy
 * @param interval the time between two looks at the Leases, jittered by ±20%; at least 100 ms
 * @param forbiddenBackoff the time before looking again after the API said 401/403 (the ServiceAccount lacks
 *     the Role), and the longest back-off after other failures; at least {@code interval}
 * @param serviceAccountDir where the pod's ServiceAccount token, CA and namespace are mounted
 * @param apiServer the API server's base URL; null for {@code https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}
 *     (tests give a mock server's http URL)
 */
public record JanitorConfig(String workloadKind, String workloadName, String shadowService, Duration interval,
    Duration forbiddenBackoff, Path serviceAccountDir, URI apiServer) {

  /** The time between two looks unless told otherwise: the daemon renews a Lease every 10 s. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
  /** The back-off after 401/403 unless told otherwise. */
  public static final Duration DEFAULT_FORBIDDEN_BACKOFF = Duration.ofMinutes(5);

  public JanitorConfig {
    requireNonNull(workloadKind, "workloadKind");
    requireNonNull(workloadName, "workloadName");
    requireNonNull(interval, "interval");
    requireNonNull(forbiddenBackoff, "forbiddenBackoff");
    requireNonNull(serviceAccountDir, "serviceAccountDir");
    if (ApiResource.ofWorkloadKind(workloadKind) == null) {
      throw new IllegalArgumentException("workloadKind: " + workloadKind + " (expected: Deployment or StatefulSet)");
    }
    if (workloadName.isEmpty()) {
      throw new IllegalArgumentException("workloadName: '' (expected: a name)");
    }
    if (interval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: >= 100ms)");
    }
    if (forbiddenBackoff.compareTo(interval) < 0) {
      throw new IllegalArgumentException("forbiddenBackoff: " + forbiddenBackoff + " (expected: >= interval "
          + interval + ")");
    }
  }

  /**
   * The janitor of an agent in a pod: the mounted ServiceAccount, the in-cluster API server, a 5-minute back-off
   * after 401/403.
   *
   * @param workload {@code Kind/name}, as the daemon sets {@code DEVPROXY_WORKLOAD}
   * @throws IllegalArgumentException when {@code workload} is not {@code Deployment/NAME} or {@code StatefulSet/NAME}
   */
  public static JanitorConfig inCluster(String workload, String shadowService, Duration interval) {
    requireNonNull(workload, "workload");
    int slash = workload.indexOf('/');
    if (slash <= 0 || slash == workload.length() - 1) {
      throw new IllegalArgumentException("workload: '" + workload + "' (expected: KIND/NAME, e.g. Deployment/orders)");
    }
    return new JanitorConfig(workload.substring(0, slash), workload.substring(slash + 1),
        shadowService == null || shadowService.isEmpty() ? null : shadowService, interval,
        DEFAULT_FORBIDDEN_BACKOFF.compareTo(interval) < 0 ? interval : DEFAULT_FORBIDDEN_BACKOFF,
        Path.of(ServiceAccount.DEFAULT_DIR), null);
  }

  /** {@code Kind/name}, as the session Leases name the workload. */
  public String workload() {
    return workloadKind + "/" + workloadName;
  }
}

package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Resolves {@code devproxy intercept SVC [--port P] [--container C]} to an {@link InterceptTarget}: the
 * Service, the one workload whose pod template its selector matches, and the container port behind the
 * requested Service port. Read-only; needs get on services and list on deployments, statefulsets and
 * replicasets (apps) in the namespace.
 *
 * <p>Thread-safe. Does not own the client: whoever passed it in closes it.
 */
public final class TargetResolver {

  private final KubernetesClient client;

  public TargetResolver(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * @param namespace the namespace of the Service
   * @param service the Service name
   * @param remotePort a Service port number or name; for a Service without ports, a container port number or
   *     name; null when the Service (or, without Service ports, the workload) has exactly one port
   * @param container the container serving the port; null unless several containers could
   * @throws DevproxyException USER when the Service, a selector, the workload, the port or the container
   *     cannot be determined unambiguously; CLUSTER when the API refuses or fails
   */
  public InterceptTarget resolve(String namespace, String service, String remotePort, String container)
      throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(service, "service");
    Service svc = KubeCalls.call("get", "services", namespace,
        () -> client.services().inNamespace(namespace).withName(service).get());
    if (svc == null) {
      throw new DevproxyException(ErrorCategory.USER, "service '" + service + "' not found in namespace '"
          + namespace + "'; 'devproxy list' shows the interceptable ones");
    }
    Workload workload = workloadOf(svc, Workloads.list(client, namespace));
    PortResolver.Resolved resolved = new PortResolver(svc, workload).resolve(remotePort, container);
    return new InterceptTarget(namespace, service, workload.kind(), workload.name(),
        resolved.candidate().container(), resolved.candidate().port(), resolved.candidate().name(),
        resolved.servicePort() == null ? null : resolved.servicePort().getPort(),
        resolved.servicePort() == null ? null : resolved.servicePort().getTargetPort());
  }

  /** The one workload among {@code workloads} that {@code svc} selects. */
  static Workload workloadOf(Service svc, List<Workload> workloads) throws DevproxyException {
    String name = svc.getMetadata().getName();
    String namespace = svc.getMetadata().getNamespace();
    Map<String, String> selector = svc.getSpec() == null ? null : svc.getSpec().getSelector();
    if (selector == null || selector.isEmpty()) {
      throw new DevproxyException(ErrorCategory.USER, "service '" + name + "' in namespace '" + namespace
          + "' has no selector, so devproxy cannot tell which pods serve it; intercept a Service that selects"
          + " its pods by label");
    }
    List<Workload> matching = Workloads.matching(workloads, selector);
    if (matching.isEmpty()) {
      throw new DevproxyException(ErrorCategory.USER, "no Deployment, StatefulSet or ReplicaSet in '"
          + namespace + "' has pods matching " + labels(selector) + " (the selector of service '" + name
          + "'); check the selector against the pod template labels");
    }
    if (matching.size() > 1) {
      throw new DevproxyException(ErrorCategory.USER, "service '" + name + "' selects pods of several workloads ("
          + matching.stream().map(Workload::toString).collect(Collectors.joining(", "))
          + "); give each its own Service with a narrower selector");
    }
    return matching.get(0);
  }

  static String labels(Map<String, String> selector) {
    return selector.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
  }
}

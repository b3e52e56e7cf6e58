package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.InterceptableService.PortMapping;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The Services of a namespace as {@code devproxy list} shows them: each with the workload behind it or the
 * reason it cannot be intercepted. Read-only; needs list on services, deployments, statefulsets and
 * replicasets (apps).
 *
 * <p>Thread-safe. Does not own the client: whoever passed it in closes it.
 */
public final class ServiceCatalog {

  private final KubernetesClient client;

  public ServiceCatalog(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * Every Service in {@code namespace}, sorted by name.
   *
   * @throws DevproxyException CLUSTER when the API refuses or fails
   */
  public List<InterceptableService> list(String namespace) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    List<Service> services = KubeCalls.call("list", "services", namespace,
        () -> client.services().inNamespace(namespace).list().getItems());
    List<Workload> workloads = Workloads.list(client, namespace);
    List<InterceptableService> result = new ArrayList<>();
    for (Service svc : services.stream().sorted(Comparator.comparing(s -> s.getMetadata().getName())).toList()) {
      result.add(describe(svc, workloads));
    }
    return result;
  }

  private static InterceptableService describe(Service svc, List<Workload> workloads) {
    String name = svc.getMetadata().getName();
    Workload workload;
    try {
      workload = TargetResolver.workloadOf(svc, workloads);
    } catch (DevproxyException e) {
      List<PortMapping> ports = PortResolver.servicePorts(svc).stream()
          .map(sp -> new PortMapping(sp.getPort(), sp.getName(), null, null, null)).toList();
      return new InterceptableService(name, null, null, ports, e.getMessage());
    }
    PortResolver resolver = new PortResolver(svc, workload);
    List<PortMapping> ports = new ArrayList<>();
    List<ServicePort> servicePorts = PortResolver.servicePorts(svc);
    if (servicePorts.isEmpty()) {
      for (PortResolver.Candidate c : resolver.declared(containersOf(workload))) {
        ports.add(new PortMapping(null, null, c.container(), c.port(), c.name()));
      }
    }
    for (ServicePort sp : servicePorts) {
      ports.add(mapping(resolver, sp));
    }
    return new InterceptableService(name, workload.kind(), workload.name(), ports, null);
  }

  private static PortMapping mapping(PortResolver resolver, ServicePort sp) {
    try {
      PortResolver.Candidate c = resolver.resolve(String.valueOf(sp.getPort()), null).candidate();
      return new PortMapping(sp.getPort(), sp.getName(), c.container(), c.port(), c.name());
    } catch (DevproxyException e) {
      // Ambiguous container or a named targetPort no container declares: show what the Service says.
      IntOrString t = PortResolver.effectiveTarget(sp);
      return new PortMapping(sp.getPort(), sp.getName(), null, t.getIntVal(), t.getStrVal());
    }
  }

  private static List<Container> containersOf(Workload w) {
    return w.podSpec() == null || w.podSpec().getContainers() == null ? List.of() : w.podSpec().getContainers();
  }
}

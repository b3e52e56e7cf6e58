package io.devproxy.daemon.control;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.InterceptableService;
import io.devproxy.daemon.kube.InterceptableService.PortMapping;
import io.devproxy.daemon.kube.KubeClients;
import io.devproxy.daemon.kube.KubeOptions;
import io.devproxy.daemon.kube.ServiceCatalog;
import io.devproxy.daemon.kube.SessionLeases;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.ListRequest;
import io.devproxy.proto.daemon.PortInfo;
import io.devproxy.proto.daemon.ServiceInfo;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * {@code devproxy list} on the daemon side: opens a client for the request's kube options, lists the
 * namespace's Services with {@link ServiceCatalog}, and maps them to the wire. Thread-safe when the client
 * factory is; each call opens and closes its own client.
 */
public final class ServiceLister {

  private static final Logger logger = Logger.getLogger(ServiceLister.class.getName());

  /** Opens a client the caller closes; {@link KubeClients#open} outside tests. */
  @FunctionalInterface
  public interface ClientFactory {
    KubernetesClient open(KubeOptions options) throws DevproxyException;
  }

  private final ClientFactory clients;

  /** Clients configured as kubectl would configure itself. */
  public ServiceLister() {
    this(KubeClients::open);
  }

  public ServiceLister(ClientFactory clients) {
    this.clients = requireNonNull(clients, "clients");
  }

  /**
   * The Services of the namespace the request's options select.
   *
   * @throws DevproxyException USER for a malformed kubeconfig path, CONFIG for kubeconfig problems, CLUSTER
   *     when the API refuses (forbidden) or fails
   */
  public ListReply list(ListRequest request) throws DevproxyException {
    requireNonNull(request, "request");
    KubeOptions options = options(request.getKube());
    try (KubernetesClient client = clients.open(options)) {
      // KubeClients resolves the namespace (-n, else the context's, else "default") into the client's config.
      String namespace = client.getNamespace() != null ? client.getNamespace() : "default";
      ListReply.Builder reply = ListReply.newBuilder().setNamespace(namespace);
      Map<String, Set<String>> interceptedBy = interceptedBy(client, namespace);
      for (InterceptableService svc : new ServiceCatalog(client).list(namespace)) {
        reply.addServices(service(svc).toBuilder()
            .addAllInterceptedBy(interceptedBy.getOrDefault(svc.name(), Set.of())));
      }
      return reply.build();
    }
  }

  static KubeOptions options(io.devproxy.proto.daemon.KubeOptions kube) throws DevproxyException {
    return KubeOptions.fromWire(kube);
  }

  static ServiceInfo service(InterceptableService svc) {
    ServiceInfo.Builder info = ServiceInfo.newBuilder().setName(svc.name());
    if (svc.workloadKind() != null) {
      info.setWorkloadKind(svc.workloadKind());
    }
    if (svc.workloadName() != null) {
      info.setWorkloadName(svc.workloadName());
    }
    if (svc.reason() != null) {
      info.setNotInterceptableReason(svc.reason());
    }
    for (PortMapping port : svc.ports()) {
      info.addPorts(port(port));
    }
    return info.build();
  }

  /**
   * Who intercepts what, from the live session Leases: Service name → holders ({@code user@host (key)}). A
   * Lease list that is forbidden leaves the column empty rather than failing the listing.
   */
  private static Map<String, Set<String>> interceptedBy(KubernetesClient client, String namespace) {
    Map<String, Set<String>> result = new HashMap<>();
    SessionLeases leases = new SessionLeases(client, Clock.systemUTC());
    try {
      for (Lease lease : leases.all(namespace)) {
        Map<String, String> annotations = lease.getMetadata().getAnnotations();
        String service = annotations == null ? null : annotations.get(SessionLeases.INTERCEPT_ANNOTATION);
        if (service != null && !leases.isExpired(lease) && lease.getSpec() != null
            && lease.getSpec().getHolderIdentity() != null) {
          result.computeIfAbsent(service, k -> new TreeSet<>()).add(lease.getSpec().getHolderIdentity());
        }
      }
    } catch (DevproxyException e) {
      logger.fine(() -> "no session Leases for 'intercepted by': " + e.getMessage());
    }
    return result;
  }

  private static PortInfo port(PortMapping p) {
    PortInfo.Builder port = PortInfo.newBuilder();
    if (p.servicePort() != null) {
      port.setServicePort(p.servicePort());
    }
    if (p.servicePortName() != null) {
      port.setServicePortName(p.servicePortName());
    }
    if (p.container() != null) {
      port.setContainer(p.container());
    }
    if (p.containerPort() != null) {
      port.setContainerPort(p.containerPort());
    }
    if (p.containerPortName() != null) {
      port.setContainerPortName(p.containerPortName());
    }
    return port.build();
  }
}

package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.KubeCalls;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Creates and deletes preview URLs: the Mappings {@link PreviewRoutes} builds for a preview host and, when the
 * cluster needs one, an Ambassador {@code Host} for it.
 *
 * <p>A Host is created when {@code tlsSecret} is given (TLS with that Secret), or when the namespace has Hosts
 * and none of them serves the preview host (exactly or as a {@code *.domain} wildcard): Emissary 2+ then serves
 * only hosts some Host names, so the preview host needs its own (cleartext). A namespace without Hosts is left
 * alone: such a cluster either serves every host (no Hosts at all) or has its Hosts elsewhere, and then a
 * wildcard Host, or {@code --tls-secret}, is the cluster owner's call.
 *
 * <p>All or nothing: a failed write deletes what this call created. Thread-safe; does not own the client.
 *
 * <p>RBAC in the namespace: get on {@code services}; list, create and delete on {@code mappings.getambassador.io};
 * list, create and delete on {@code hosts.getambassador.io}.
 */
public final class Previews {

  private static final Logger logger = Logger.getLogger(Previews.class.getName());

  private final KubernetesClient client;

  public Previews(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * What a preview is for.
   *
   * @param namespace the intercept's namespace
   * @param service the intercepted Service
   * @param servicePort its port, or null when it lists none (then {@code targetPort} is used)
   * @param targetPort the container port behind it
   * @param key the developer's session key
   * @param sessionId the session the objects belong to
   * @param shadowService the shadow Service in shadow mode, else null
   * @param host the preview host (checked by {@link PreviewRoutes#checkHost})
   * @param tlsSecret a TLS Secret for a Host, or null
   */
  public record Request(String namespace, String service, Integer servicePort, int targetPort, String key,
      String sessionId, String shadowService, String host, String tlsSecret) {
    public Request {
      requireNonNull(namespace, "namespace");
      requireNonNull(service, "service");
      requireNonNull(key, "key");
      requireNonNull(sessionId, "sessionId");
      requireNonNull(host, "host");
    }
  }

  /**
   * Writes the preview's Mappings (and Host).
   *
   * @throws DevproxyException CLUSTER when the cluster serves no Mapping API (or no Host API with a TLS Secret) or
   *     refuses a call; USER when a Mapping cannot be copied faithfully (nothing is written)
   */
  public Preview create(Request request) throws DevproxyException {
    String namespace = request.namespace();
    AmbassadorObjects objects = new AmbassadorObjects(client, namespace);
    AmbassadorApi api = requireAmbassador(client, namespace);
    List<GenericKubernetesResource> originals = KubeCalls.call("list", AmbassadorApi.MAPPINGS_RESOURCE, namespace,
        () -> new MappingReader(client).routingTo(api, namespace, request.service(), request.servicePort()));
    PreviewRoutes routes = new PreviewRoutes(request.key(), request.sessionId(), request.host());
    List<GenericKubernetesResource> mappings = originals.isEmpty()
        ? List.of(routes.forService(api, namespace, request.service(),
            request.servicePort() != null ? request.servicePort() : request.targetPort(), isGrpc(request),
            request.shadowService()))
        : routes.of(originals, request.shadowService());
    GenericKubernetesResource hostResource = null;
    AmbassadorApi hostApi = null;
    boolean tls = request.tlsSecret() != null;
    List<AmbassadorApi> hostsServed = objects.hostsServed();
    if (tls && hostsServed.isEmpty()) {
      throw new DevproxyException(ErrorCategory.CLUSTER, "--tls-secret: the cluster serves no Ambassador Host CRD"
          + " (getambassador.io); leave --tls-secret out");
    }
    if (!hostsServed.isEmpty()) {
      hostApi = hostsServed.get(0);
      Object ambassadorId = originals.stream().map(m -> MappingCopies.spec(m).get("ambassador_id"))
          .filter(Objects::nonNull).findFirst().orElse(null);
      Optional<GenericKubernetesResource> covering = Optional.empty();
      List<GenericKubernetesResource> hosts = List.of();
      if (!tls) {
        hosts = objects.list(hostApi, AmbassadorApi.HOST_KIND, Map.of());
        covering = hosts.stream().filter(h -> serves(h, request.host())).findFirst();
        tls = covering.map(Previews::hasTls).orElse(false);
      }
      if (request.tlsSecret() != null || (!hosts.isEmpty() && covering.isEmpty())) {
        hostResource = routes.hostResource(hostApi, namespace, request.service(), request.tlsSecret(), ambassadorId);
      }
    }

    List<String> created = new ArrayList<>(objects.applyAll(api, mappings));
    if (hostResource != null) {
      try {
        objects.applyAll(hostApi, List.of(hostResource));
      } catch (DevproxyException | RuntimeException e) {
        try {
          delete(namespace, Preview.newBuilder().setApiVersion(api.apiVersion()).addAllMappings(created).build());
        } catch (DevproxyException | RuntimeException deleteFailed) {
          e.addSuppressed(deleteFailed);
        }
        throw e;
      }
    }
    created.sort(null);
    Preview preview = Preview.newBuilder()
        .setHost(request.host())
        .setUrl((tls ? "https" : "http") + "://" + request.host() + "/")
        .setApiVersion(api.apiVersion())
        .addAllMappings(created)
        .setHostResource(hostResource == null ? "" : hostResource.getMetadata().getName())
        .setHostApiVersion(hostResource == null ? "" : hostApi.apiVersion())
        .build();
    logger.info(() -> "[" + namespace + "/" + request.service() + "] preview " + preview.getUrl() + ": mappings "
        + preview.getMappingsList() + (preview.getHostResource().isEmpty() ? "" : ", host "
        + preview.getHostResource()));
    return preview;
  }

  /**
   * The Mapping version to write.
   *
   * @throws DevproxyException CLUSTER when the cluster serves no Mapping API
   */
  public static AmbassadorApi requireAmbassador(KubernetesClient client, String namespace) throws DevproxyException {
    List<AmbassadorApi> served = new AmbassadorObjects(client, namespace).mappingsServed();
    if (served.isEmpty()) {
      throw new DevproxyException(ErrorCategory.CLUSTER, "the cluster serves no Ambassador Mapping CRD"
          + " (getambassador.io): previews need Ambassador or Emissary in front of the Service");
    }
    return served.get(0);
  }

  /** Deletes a preview's Mappings and Host; one already gone is fine. */
  public void delete(String namespace, Preview preview) throws DevproxyException {
    AmbassadorObjects objects = new AmbassadorObjects(client, namespace);
    for (String name : preview.getMappingsList()) {
      objects.delete(AmbassadorApi.of(preview.getApiVersion()), AmbassadorApi.MAPPING_KIND, name);
    }
    if (!preview.getHostResource().isEmpty()) {
      objects.delete(AmbassadorApi.of(preview.getHostApiVersion()), AmbassadorApi.HOST_KIND,
          preview.getHostResource());
    }
  }

  /** gRPC when the Service port's appProtocol or name says so (grpc, h2c, http2, kubernetes.io/h2c). */
  private boolean isGrpc(Request request) throws DevproxyException {
    Service service = KubeCalls.call("get", "services", request.namespace(), () -> client.services()
        .inNamespace(request.namespace()).withName(request.service()).get());
    if (service == null || service.getSpec() == null || service.getSpec().getPorts() == null) {
      return false;
    }
    for (ServicePort port : service.getSpec().getPorts()) {
      if (request.servicePort() == null || request.servicePort().equals(port.getPort())) {
        String protocol = (port.getAppProtocol() != null ? port.getAppProtocol()
            : port.getName() != null ? port.getName() : "").toLowerCase(Locale.ROOT);
        return protocol.startsWith("grpc") || protocol.equals("h2c") || protocol.equals("http2")
            || protocol.equals("kubernetes.io/h2c");
      }
    }
    return false;
  }

  /** Whether a Host's {@code hostname} is {@code host}, or a {@code *} / {@code *.suffix} glob covering it. */
  static boolean serves(GenericKubernetesResource hostResource, String host) {
    if (!(hostResource.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)
        || !(spec.get("hostname") instanceof String hostname)) {
      return false;
    }
    String glob = hostname.toLowerCase(Locale.ROOT);
    return glob.equals(host) || glob.equals("*") || (glob.startsWith("*.") && host.endsWith(glob.substring(1)));
  }

  private static boolean hasTls(GenericKubernetesResource hostResource) {
    return hostResource.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
        && spec.get("tlsSecret") instanceof Map<?, ?> secret
        && secret.get("name") instanceof String name && !name.isEmpty();
  }
}

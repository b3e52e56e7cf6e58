package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the {@code Mapping}s in a namespace whose {@code service} routes to a given Service (and port), as
 * {@link GenericKubernetesResource}s in the shape of the API version they were read with.
 *
 * <p>The Mappings are listed once, through the most preferred served version
 * ({@link AmbassadorApis#mappingsServed}): the API server converts between served versions, so listing through
 * each would return every Mapping twice.
 * Clones devproxy made (label {@code app.kubernetes.io/managed-by: devproxy}) are left out.
 *
 * <p>RBAC: {@code list} on {@code mappings.getambassador.io} in the namespace.
 */
public final class MappingReader {

  private final KubernetesClient client;

  /** @param client used, not closed: the caller owns it */
  public MappingReader(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * The Mappings in {@code namespace} that route to Service {@code service} there, sorted by name; empty when the
   * cluster serves no Mapping API.
   *
   * @param port the Service port the Mapping must reach (its explicit port, else 80, or 443 with
   *     {@code https://} or TLS origination), or null for any port
   */
  public List<GenericKubernetesResource> routingTo(String namespace, String service, Integer port) {
    List<AmbassadorApi> served = AmbassadorApis.mappingsServed(client);
    return served.isEmpty() ? List.of() : routingTo(served.get(0), namespace, service, port);
  }

  /** As {@link #routingTo(String, String, Integer)}, read through {@code api}, which the caller knows is served. */
  public List<GenericKubernetesResource> routingTo(AmbassadorApi api, String namespace, String service, Integer port) {
    requireNonNull(api, "api");
    requireNonNull(namespace, "namespace");
    requireNonNull(service, "service");
    return client.genericKubernetesResources(api.apiVersion(), AmbassadorApi.MAPPING_KIND).inNamespace(namespace)
        .list().getItems().stream()
        .filter(m -> !isDevproxyClone(m))
        .filter(m -> routes(m, namespace, service, port))
        .sorted(Comparator.comparing(m -> m.getMetadata().getName()))
        .toList();
  }

  /** Whether {@code mapping}, in {@code namespace}, routes to {@code service} (and {@code port}, unless null). */
  static boolean routes(GenericKubernetesResource mapping, String namespace, String service, Integer port) {
    if (!(mapping.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)) {
      return false;
    }
    Optional<ServiceRef> ref = spec.get("service") instanceof String s ? ServiceRef.parse(s) : Optional.empty();
    if (ref.isEmpty() || !ref.get().routesTo(service, namespace, mapping.getMetadata().getNamespace())) {
      return false;
    }
    return port == null || ref.get().effectivePort(originatesTls(spec.get("tls"))) == port;
  }

  // v2: tls is true or a TLSContext name; v3alpha1: a TLSContext name.
  private static boolean originatesTls(Object tls) {
    return Boolean.TRUE.equals(tls) || (tls instanceof String s && !s.isEmpty());
  }

  private static boolean isDevproxyClone(GenericKubernetesResource mapping) {
    Map<String, String> labels = mapping.getMetadata().getLabels();
    return labels != null && HeaderRoutes.DEVPROXY.equals(labels.get(HeaderRoutes.MANAGED_BY));
  }
}

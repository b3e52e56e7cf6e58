package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.KubeCalls;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Writes a session's header-route clones of the Mappings that route to an intercepted Service, and takes them out
 * again: on leave (by name), after a vanished session (by its session label), or on uninstall (all of devproxy's).
 *
 * <p>All or nothing: a failed create deletes the clones this call created. Thread-safe; does not own the client.
 *
 * <p>RBAC: list, create and delete on {@code mappings.getambassador.io} in the namespace; list and delete on
 * {@code hosts.getambassador.io}.
 */
public final class EdgeRoutes {

  private static final Logger logger = Logger.getLogger(EdgeRoutes.class.getName());

  private static final String RESOURCE = "mappings.getambassador.io";
  private static final String HOSTS = "hosts.getambassador.io";

  private final KubernetesClient client;

  public EdgeRoutes(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * What {@link #create} wrote.
   *
   * @param api the Mapping version used; null when the cluster serves no Mapping API (nothing written)
   * @param clones the clones' names, sorted
   */
  public record Created(MappingApi api, List<String> clones) {}

  /**
   * Clones every Mapping in {@code namespace} routing to {@code service} (and {@code port}, unless null) with the
   * session's header added; the clones route to {@code shadowService} when given, else where the originals do.
   *
   * @throws DevproxyException USER when a Mapping cannot be cloned faithfully (nothing is written); CLUSTER when
   *     the API refuses
   */
  public Created create(String namespace, String service, Integer port, String key, String sessionId,
      String shadowService) throws DevproxyException {
    List<MappingApi> served = call("get", namespace, () -> MappingApis.served(client));
    if (served.isEmpty()) {
      return new Created(null, List.of());
    }
    MappingApi api = served.get(0);
    List<GenericKubernetesResource> originals =
        call("list", namespace, () -> new MappingReader(client).routingTo(api, namespace, service, port));
    HeaderRoutes routes = new HeaderRoutes(key, sessionId);
    List<GenericKubernetesResource> clones = shadowService == null ? routes.sidecar(originals)
        : routes.shadow(originals, shadowService);
    List<String> created = new ArrayList<>();
    try {
      for (GenericKubernetesResource clone : clones) {
        call("create", namespace, () -> client.genericKubernetesResources(api.apiVersion(), MappingApi.KIND)
            .inNamespace(namespace).resource(clone).createOr(existing -> existing.update()));
        created.add(clone.getMetadata().getName());
      }
    } catch (DevproxyException e) {
      delete(namespace, api, created);
      throw e;
    }
    created.sort(null);
    logger.info(() -> "[" + namespace + "/" + service + "] header routes: " + created);
    return new Created(api, created);
  }

  /** Deletes the named clones; a clone already gone is fine. */
  public void delete(String namespace, MappingApi api, List<String> clones) throws DevproxyException {
    for (String name : clones) {
      call("delete", namespace, () -> client.genericKubernetesResources(api.apiVersion(), MappingApi.KIND)
          .inNamespace(namespace).withName(name).delete());
    }
  }

  /**
   * Deletes the Mappings (header routes and previews) and preview Hosts of {@code sessionId}, or every devproxy
   * Mapping and Host when it is null, in every served version.
   *
   * @return what was deleted, as {@code mapping/<name>} and {@code host/<name>}
   */
  public List<String> deleteLabelled(String namespace, String sessionId) throws DevproxyException {
    List<String> deleted = new ArrayList<>();
    deleteLabelled(namespace, sessionId, MappingApi.KIND, RESOURCE,
        call("get", namespace, () -> MappingApis.served(client)), deleted);
    deleteLabelled(namespace, sessionId, PreviewRoutes.HOST_KIND, HOSTS,
        call("get", namespace, () -> MappingApis.hostsServed(client)), deleted);
    return deleted;
  }

  private void deleteLabelled(String namespace, String sessionId, String kind, String resource,
      List<MappingApi> served, List<String> deleted) throws DevproxyException {
    String prefix = kind.toLowerCase(Locale.ROOT) + "/";
    for (MappingApi api : served) {
      List<GenericKubernetesResource> mine = KubeCalls.call("list", resource, namespace, () -> {
        var query = client.genericKubernetesResources(api.apiVersion(), kind).inNamespace(namespace)
            .withLabel(HeaderRoutes.MANAGED_BY, HeaderRoutes.DEVPROXY);
        return (sessionId == null ? query : query.withLabel(HeaderRoutes.SESSION_LABEL, sessionId)).list().getItems();
      });
      for (GenericKubernetesResource object : mine) {
        String name = object.getMetadata().getName();
        if (!deleted.contains(prefix + name)) { // the API server shows each object in every served version
          KubeCalls.call("delete", resource, namespace, () -> client.genericKubernetesResources(api.apiVersion(),
              kind).inNamespace(namespace).withName(name).delete());
          deleted.add(prefix + name);
        }
      }
    }
  }

  private static <T> T call(String verb, String namespace, Supplier<T> call) throws DevproxyException {
    return KubeCalls.call(verb, RESOURCE, namespace, call);
  }
}

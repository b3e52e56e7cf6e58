package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.KubeCalls;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Writes a session's header-route clones of the Mappings that route to an intercepted Service, and takes them out
 * again: on leave (by name), after a vanished session (by its session label), or on uninstall (all of devproxy's).
 *
 * <p>All or nothing: a failed create deletes the clones this call created. Thread-safe; does not own the client.
 *
 * <p>RBAC: list, create and delete on {@code mappings.getambassador.io} in the namespace.
 */
public final class EdgeRoutes {

  private static final Logger logger = Logger.getLogger(EdgeRoutes.class.getName());

  private static final String RESOURCE = "mappings.getambassador.io";

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
   * Deletes the clones of {@code sessionId}, or every devproxy Mapping when it is null, in every served version.
   *
   * @return the names deleted
   */
  public List<String> deleteLabelled(String namespace, String sessionId) throws DevproxyException {
    List<String> deleted = new ArrayList<>();
    for (MappingApi api : call("get", namespace, () -> MappingApis.served(client))) {
      List<GenericKubernetesResource> mine = call("list", namespace, () -> {
        var query = client.genericKubernetesResources(api.apiVersion(), MappingApi.KIND).inNamespace(namespace)
            .withLabel(HeaderRoutes.MANAGED_BY, HeaderRoutes.DEVPROXY);
        return (sessionId == null ? query : query.withLabel(HeaderRoutes.SESSION_LABEL, sessionId)).list().getItems();
      });
      for (GenericKubernetesResource m : mine) {
        String name = m.getMetadata().getName();
        if (!deleted.contains(name)) {
          call("delete", namespace, () -> client.genericKubernetesResources(api.apiVersion(), MappingApi.KIND)
              .inNamespace(namespace).withName(name).delete());
          deleted.add(name);
        }
      }
    }
    return deleted;
  }

  private static <T> T call(String verb, String namespace, Supplier<T> call) throws DevproxyException {
    return KubeCalls.call(verb, RESOURCE, namespace, call);
  }
}

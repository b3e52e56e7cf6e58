package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.KubeCalls;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  public record Created(AmbassadorApi api, List<String> clones) {}

  /**
   * Clones every Mapping in {@code namespace} routing to {@code service} (and {@code port}, unless null) with the
   * session's header added; the clones route to {@code shadowService} when given, else where the originals do.
   *
   * @throws DevproxyException USER when a Mapping cannot be cloned faithfully (nothing is written); CLUSTER when
   *     the API refuses
   */
  public Created create(String namespace, String service, Integer port, String key, String sessionId,
      String shadowService) throws DevproxyException {
    AmbassadorObjects objects = new AmbassadorObjects(client, namespace);
    List<AmbassadorApi> served = objects.mappingsServed();
    if (served.isEmpty()) {
      return new Created(null, List.of());
    }
    AmbassadorApi api = served.get(0);
    List<GenericKubernetesResource> originals = KubeCalls.call("list", AmbassadorApi.MAPPINGS_RESOURCE, namespace,
        () -> new MappingReader(client).routingTo(api, namespace, service, port));
    HeaderRoutes routes = new HeaderRoutes(key, sessionId);
    List<String> created = new ArrayList<>(objects.applyAll(api, shadowService == null ? routes.sidecar(originals)
        : routes.shadow(originals, shadowService)));
    created.sort(null);
    logger.info(() -> "[" + namespace + "/" + service + "] header routes: " + created);
    return new Created(api, List.copyOf(created));
  }

  /** Deletes the named clones; a clone already gone is fine. */
  public void delete(String namespace, AmbassadorApi api, List<String> clones) throws DevproxyException {
    AmbassadorObjects objects = new AmbassadorObjects(client, namespace);
    for (String name : clones) {
      objects.delete(api, AmbassadorApi.MAPPING_KIND, name);
    }
  }

  /**
   * Deletes the Mappings (header routes and previews) and preview Hosts of {@code sessionId}, or every devproxy
   * Mapping and Host when it is null, in every served version.
   *
   * @return what was deleted, as {@code mapping/<name>} and {@code host/<name>}
   */
  public List<String> deleteLabelled(String namespace, String sessionId) throws DevproxyException {
    AmbassadorObjects objects = new AmbassadorObjects(client, namespace);
    Map<String, String> labels = new HashMap<>(Map.of(HeaderRoutes.MANAGED_BY, HeaderRoutes.DEVPROXY));
    if (sessionId != null) {
      labels.put(HeaderRoutes.SESSION_LABEL, sessionId);
    }
    List<String> deleted = new ArrayList<>();
    deleteLabelled(objects, AmbassadorApi.MAPPING_KIND, objects.mappingsServed(), labels, deleted);
    deleteLabelled(objects, AmbassadorApi.HOST_KIND, objects.hostsServed(), labels, deleted);
    return deleted;
  }

  private static void deleteLabelled(AmbassadorObjects objects, String kind, List<AmbassadorApi> served,
      Map<String, String> labels, List<String> deleted) throws DevproxyException {
    String prefix = kind.toLowerCase(Locale.ROOT) + "/";
    for (AmbassadorApi api : served) {
      for (GenericKubernetesResource object : objects.list(api, kind, labels)) {
        String name = object.getMetadata().getName();
        if (!deleted.contains(prefix + name)) { // the API server shows each object in every served version
          objects.delete(api, kind, name);
          deleted.add(prefix + name);
        }
      }
    }
  }
}

package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.KubeCalls;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The calls devproxy makes on Ambassador {@code Mapping}s and {@code Host}s in one namespace, each through
 * {@link KubeCalls}, so that a refusal reads {@code forbidden: create mappings.getambassador.io in namespace shop}.
 * Thread-safe; does not own the client.
 */
final class AmbassadorObjects {

  private final KubernetesClient client;
  private final String namespace;

  AmbassadorObjects(KubernetesClient client, String namespace) {
    this.client = requireNonNull(client, "client");
    this.namespace = requireNonNull(namespace, "namespace");
  }

  /** The versions that serve Mappings, most preferred first ({@link AmbassadorApis#mappingsServed}). */
  List<AmbassadorApi> mappingsServed() throws DevproxyException {
    return KubeCalls.call("get", AmbassadorApi.MAPPINGS_RESOURCE, namespace,
        () -> AmbassadorApis.mappingsServed(client));
  }

  /** The versions that serve Hosts, most preferred first. */
  List<AmbassadorApi> hostsServed() throws DevproxyException {
    return KubeCalls.call("get", AmbassadorApi.HOSTS_RESOURCE, namespace, () -> AmbassadorApis.hostsServed(client));
  }

  /** The objects of {@code kind} carrying every label in {@code labels} (all of them when it is empty). */
  List<GenericKubernetesResource> list(AmbassadorApi api, String kind, Map<String, String> labels)
      throws DevproxyException {
    return KubeCalls.call("list", resource(kind), namespace, () -> (labels.isEmpty() ? objects(api, kind)
        : objects(api, kind).withLabels(labels)).list().getItems());
  }

  /**
   * Creates each object (replacing one of the same name: a retry after a lost answer), all or nothing: when a
   * write fails, the objects this call wrote are deleted again before the failure is thrown.
   *
   * @return the names written, in order
   */
  List<String> applyAll(AmbassadorApi api, List<GenericKubernetesResource> objects) throws DevproxyException {
    List<GenericKubernetesResource> written = new ArrayList<>();
    try {
      for (GenericKubernetesResource object : objects) {
        KubeCalls.call("create", resource(object.getKind()), namespace, () -> objects(api, object.getKind())
            .resource(object).createOr(existing -> existing.update()));
        written.add(object);
      }
    } catch (DevproxyException | RuntimeException e) {
      for (GenericKubernetesResource object : written) {
        try {
          delete(api, object.getKind(), object.getMetadata().getName());
        } catch (DevproxyException | RuntimeException deleteFailed) {
          e.addSuppressed(deleteFailed);
        }
      }
      throw e;
    }
    return written.stream().map(o -> o.getMetadata().getName()).toList();
  }

  /** Deletes the named object; one already gone is fine. */
  void delete(AmbassadorApi api, String kind, String name) throws DevproxyException {
    KubeCalls.call("delete", resource(kind), namespace, () -> objects(api, kind).withName(name).delete());
  }

  private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
      Resource<GenericKubernetesResource>> objects(AmbassadorApi api, String kind) {
    return client.genericKubernetesResources(api.apiVersion(), kind).inNamespace(namespace);
  }

  private static String resource(String kind) {
    return switch (kind) {
      case AmbassadorApi.MAPPING_KIND -> AmbassadorApi.MAPPINGS_RESOURCE;
      case AmbassadorApi.HOST_KIND -> AmbassadorApi.HOSTS_RESOURCE;
      default -> throw new IllegalArgumentException("kind: " + kind + " (expected: Mapping or Host)");
    };
  }
}

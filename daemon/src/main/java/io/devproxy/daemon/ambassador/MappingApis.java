package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * Which {@code Mapping} API versions ({@link MappingApi}) the cluster serves, by API discovery of each
 * {@code getambassador.io/<version>} for a {@code mappings} resource (the group also holds Hosts, Modules...,
 * and a cluster may have only some of the CRDs).
 *
 * <p>Per group-version discovery rather than {@code getApiGroup}: fabric8's mock API server answers the group
 * document with its CRD list, while {@code /apis/<group>/<version>} behaves as a real API server does.
 *
 * <p>An empty result means no Ambassador/Emissary Mapping CRD: the caller says so, and the intercept works
 * without edge routes. Discovery needs no RBAC beyond what every authenticated user has
 * ({@code system:discovery}).
 */
public final class MappingApis {

  private MappingApis() {}

  /**
   * The served Mapping versions, most preferred ({@link MappingApi#V3ALPHA1}) first.
   *
   * @param client used, not closed
   * @throws KubernetesClientException when discovery fails for another reason than "not served"
   */
  public static List<MappingApi> served(KubernetesClient client) {
    return served(client, MappingApi.PLURAL, MappingApi.KIND);
  }

  /**
   * The versions that serve {@code Host}s, most preferred first; empty when the cluster has no Host CRD.
   *
   * @param client used, not closed
   * @throws KubernetesClientException when discovery fails for another reason than "not served"
   */
  public static List<MappingApi> hostsServed(KubernetesClient client) {
    return served(client, "hosts", PreviewRoutes.HOST_KIND);
  }

  private static List<MappingApi> served(KubernetesClient client, String plural, String kind) {
    requireNonNull(client, "client");
    List<MappingApi> served = new ArrayList<>();
    for (MappingApi api : MappingApi.values()) {
      if (serves(client, api, plural, kind)) {
        served.add(api);
      }
    }
    return List.copyOf(served);
  }

  private static boolean serves(KubernetesClient client, MappingApi api, String plural, String kind) {
    APIResourceList resources;
    try {
      resources = client.getApiResources(api.apiVersion());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
    return resources != null && resources.getResources() != null
        && resources.getResources().stream()
            .anyMatch(r -> plural.equals(r.getName()) && kind.equals(r.getKind()));
  }
}

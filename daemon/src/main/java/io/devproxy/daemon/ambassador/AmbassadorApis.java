package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * Which {@code getambassador.io} versions ({@link AmbassadorApi}) serve {@code Mapping}s, or {@code Host}s, in the
 * cluster, by API discovery of each {@code getambassador.io/<version>} for the resource (the group also holds
 * Modules, TLSContexts..., and a cluster may have only some of the CRDs).
 *
 * <p>Per group-version discovery rather than {@code getApiGroup}: fabric8's mock API server answers the group
 * document with its CRD list, while {@code /apis/<group>/<version>} behaves as a real API server does.
 *
 * <p>An empty result means no Ambassador/Emissary Mapping CRD: the caller says so, and the intercept works
 * without edge routes. Discovery needs no RBAC beyond what every authenticated user has
 * ({@code system:discovery}).
 */
public final class AmbassadorApis {

  private AmbassadorApis() {}

  /**
   * The served Mapping versions, most preferred ({@link AmbassadorApi#V3ALPHA1}) first.
   *
   * @param client used, not closed
   * @throws KubernetesClientException when discovery fails for another reason than "not served"
   */
  public static List<AmbassadorApi> mappingsServed(KubernetesClient client) {
    return served(client, AmbassadorApi.MAPPINGS, AmbassadorApi.MAPPING_KIND);
  }

  /**
   * The versions that serve {@code Host}s, most preferred first; empty when the cluster has no Host CRD.
   *
   * @param client used, not closed
   * @throws KubernetesClientException when discovery fails for another reason than "not served"
   */
  public static List<AmbassadorApi> hostsServed(KubernetesClient client) {
    return served(client, AmbassadorApi.HOSTS, AmbassadorApi.HOST_KIND);
  }

  private static List<AmbassadorApi> served(KubernetesClient client, String plural, String kind) {
    requireNonNull(client, "client");
    List<AmbassadorApi> served = new ArrayList<>();
    for (AmbassadorApi api : AmbassadorApi.values()) {
      if (serves(client, api, plural, kind)) {
        served.add(api);
      }
    }
    return List.copyOf(served);
  }

  private static boolean serves(KubernetesClient client, AmbassadorApi api, String plural, String kind) {
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

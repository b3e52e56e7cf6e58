package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.Supplier;

/** The one place that turns fabric8's exceptions from an API call into one-line {@link DevproxyException}s. */
public final class KubeCalls {

  private KubeCalls() {}

  /**
   * Runs {@code call}, which does {@code verb} on {@code resource} (as RBAC names them, e.g. "list",
   * "deployments.apps") in {@code namespace}.
   *
   * @throws DevproxyException CLUSTER naming the missing permission on 403, else CLUSTER with the API's message
   */
  public static <T> T call(String verb, String resource, String namespace, Supplier<T> call)
      throws DevproxyException {
    try {
      return call.get();
    } catch (KubernetesClientException e) {
      throw translate(e, verb, resource, namespace);
    }
  }

  static DevproxyException translate(KubernetesClientException e, String verb, String resource, String namespace) {
    if (e.getCode() == 403) {
      return new DevproxyException(ErrorCategory.CLUSTER, "forbidden: " + verb + " " + resource
          + " in namespace " + namespace + "; ask for the devproxy developer Role (devproxy rbac)", e);
    }
    String reason = e.getStatus() != null && e.getStatus().getMessage() != null
        ? e.getStatus().getMessage() : e.getMessage();
    if (reason == null && e.getCause() != null) {
      reason = e.getCause().toString();
    }
    return new DevproxyException(ErrorCategory.CLUSTER, "cannot " + verb + " " + resource + " in namespace "
        + namespace + ": " + KubeClients.oneLine(reason) + "; check that the cluster is reachable (kubectl get "
        + resource + " -n " + namespace + ")", e);
  }
}

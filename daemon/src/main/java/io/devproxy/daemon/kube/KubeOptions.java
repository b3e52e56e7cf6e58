package io.devproxy.daemon.kube;

import java.nio.file.Path;

/**
 * Where to find the cluster, as kubectl's global flags say it. Every field may be null, meaning "as kubectl
 * would decide".
 *
 * @param context the kubeconfig context ({@code --context}); null for the current-context
 * @param namespace the namespace ({@code -n/--namespace}); null for the context's namespace, else "default"
 * @param kubeconfig the kubeconfig file ({@code --kubeconfig}); null for KUBECONFIG, then ~/.kube/config,
 *     then the in-cluster service account
 */
public record KubeOptions(String context, String namespace, Path kubeconfig) {

  /** No flags: the current context of the kubeconfig kubectl would read. */
  public static KubeOptions defaults() {
    return new KubeOptions(null, null, null);
  }
}

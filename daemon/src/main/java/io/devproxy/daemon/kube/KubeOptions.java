package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.InvalidPathException;
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

  /**
   * The options the CLI sent; empty fields mean "as kubectl would decide".
   *
   * @throws DevproxyException USER for a kubeconfig that is not a valid path
   */
  public static KubeOptions fromWire(io.devproxy.proto.daemon.KubeOptions kube) throws DevproxyException {
    Path kubeconfig = null;
    if (!kube.getKubeconfig().isEmpty()) {
      try {
        kubeconfig = Path.of(kube.getKubeconfig());
      } catch (InvalidPathException e) {
        throw new DevproxyException(ErrorCategory.USER, "--kubeconfig: '" + kube.getKubeconfig()
            + "' is not a valid path (" + e.getReason() + "); pass the path of a kubeconfig file", e);
      }
    }
    return new KubeOptions(emptyToNull(kube.getContext()), emptyToNull(kube.getNamespace()), kubeconfig);
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}

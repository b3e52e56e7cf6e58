package io.devproxy.cli;

import java.io.File;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --context}, {@code -n/--namespace} and {@code --kubeconfig}, as kubectl's global flags, shared by the
 * commands that reach the cluster (through the daemon, which does the Kubernetes work).
 *
 * <p>KUBECONFIG: the daemon reads its own environment, which is the CLI's only when this CLI started it. So
 * without {@code --kubeconfig} the CLI sends its KUBECONFIG as the kubeconfig when it names a single file
 * (made absolute, since the daemon runs elsewhere). A KUBECONFIG listing several files (merged, as kubectl
 * does) is not sent: the daemon then uses its own KUBECONFIG, else ~/.kube/config, else the in-cluster
 * service account; restart the daemon ({@code devproxy quit}) from a shell with that KUBECONFIG to use it.
 */
public final class KubeOptions {

  @Option(names = "--context", paramLabel = "CONTEXT",
      description = "The kubeconfig context (default: its current-context).")
  String context;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE",
      description = "The namespace (default: the context's, else default).")
  String namespace;

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "The kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster config).")
  String kubeconfig;

  /** The options for the daemon, with {@code env}'s KUBECONFIG standing in for a missing --kubeconfig. */
  io.devproxy.proto.daemon.KubeOptions toProto(Map<String, String> env) {
    io.devproxy.proto.daemon.KubeOptions.Builder kube = io.devproxy.proto.daemon.KubeOptions.newBuilder();
    if (context != null) {
      kube.setContext(context);
    }
    if (namespace != null) {
      kube.setNamespace(namespace);
    }
    String file = kubeconfig != null ? kubeconfig : singleFile(env.get("KUBECONFIG"));
    if (file != null) {
      kube.setKubeconfig(absolute(file));
    }
    return kube.build();
  }

  private static String singleFile(String kubeconfigEnv) {
    if (kubeconfigEnv == null || kubeconfigEnv.isBlank() || kubeconfigEnv.contains(File.pathSeparator)) {
      return null;
    }
    return kubeconfigEnv;
  }

  // The daemon's working directory is not the CLI's; a path it cannot parse goes as is, for it to report.
  private static String absolute(String file) {
    try {
      return Path.of(file).toAbsolutePath().toString();
    } catch (InvalidPathException e) {
      return file;
    }
  }
}

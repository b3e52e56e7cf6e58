package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Opens fabric8 {@link KubernetesClient}s configured the way kubectl configures itself: {@code --kubeconfig},
 * else every file in {@code KUBECONFIG} (separated by the platform's path separator, ':' on Unix), else
 * {@code ~/.kube/config}, else the in-cluster service account; {@code --context} selects a context and
 * {@code -n} overrides the context's namespace, which defaults to "default".
 */
public final class KubeClients {

  static final String DEFAULT_NAMESPACE = "default";

  private KubeClients() {}

  /**
   * A new client for {@code options}. The caller owns the client and must {@link KubernetesClient#close()
   * close} it (it holds an HTTP client and its threads); nothing else closes it. No request is sent here, so
   * an unreachable cluster shows up on the first call.
   *
   * @throws DevproxyException CONFIG when no kubeconfig is found, a kubeconfig cannot be read or parsed, or
   *     the context is unknown
   */
  public static KubernetesClient open(KubeOptions options) throws DevproxyException {
    Config config = config(options, System.getenv(), Path.of(System.getProperty("user.home")));
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** The configuration {@link #open} uses, with the environment and home directory passed in for tests. */
  static Config config(KubeOptions options, Map<String, String> env, Path home) throws DevproxyException {
    requireNonNull(options, "options");
    Config config;
    String source;
    if (options.kubeconfig() != null) {
      source = options.kubeconfig().toString();
      config = fromFile(options.context(), options.kubeconfig(), "--kubeconfig");
    } else if (!isBlank(env.get("KUBECONFIG"))) {
      source = env.get("KUBECONFIG");
      List<Path> files = new ArrayList<>();
      for (String p : source.split(File.pathSeparator)) {
        if (!p.isEmpty() && Files.isReadable(Path.of(p))) {
          files.add(Path.of(p));
        }
      }
      if (files.isEmpty()) {
        throw new DevproxyException(ErrorCategory.CONFIG, "no readable kubeconfig in KUBECONFIG=" + source
            + "; point KUBECONFIG at an existing file or pass --kubeconfig");
      }
      // fabric8 merges the KUBECONFIG files (first file wins, as in kubectl) when it auto-configures.
      config = files.size() == 1 && source.equals(files.get(0).toString())
          ? fromFile(options.context(), files.get(0), "KUBECONFIG")
          : parse(() -> Config.autoConfigure(options.context()), source);
    } else if (Files.exists(home.resolve(".kube").resolve("config"))) {
      Path file = home.resolve(".kube").resolve("config");
      source = file.toString();
      config = fromFile(options.context(), file, "~/.kube/config");
    } else if (!isBlank(env.get("KUBERNETES_SERVICE_HOST"))) {
      if (options.context() != null) {
        throw new DevproxyException(ErrorCategory.CONFIG, "--context " + options.context()
            + " needs a kubeconfig, and none was found; pass --kubeconfig or set KUBECONFIG");
      }
      source = "in-cluster service account";
      config = parse(() -> Config.autoConfigure(null), source);
    } else {
      throw new DevproxyException(ErrorCategory.CONFIG, "no kubeconfig found (no --kubeconfig, KUBECONFIG or "
          + home.resolve(".kube").resolve("config") + "); pass --kubeconfig or set KUBECONFIG");
    }
    checkContext(options.context(), config, source);
    String namespace = options.namespace() != null ? options.namespace()
        : isBlank(config.getNamespace()) ? DEFAULT_NAMESPACE : config.getNamespace();
    return new ConfigBuilder(config).withNamespace(namespace).build();
  }

  private static Config fromFile(String context, Path file, String origin) throws DevproxyException {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot read the kubeconfig " + file + " (from " + origin
          + "); check the path and its permissions");
    }
    return parse(() -> Config.fromKubeconfig(context, file.toFile()), file.toString());
  }

  private static Config parse(ConfigSupplier supplier, String source) throws DevproxyException {
    try {
      return supplier.get();
    } catch (RuntimeException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot load the kubeconfig " + source + ": "
          + oneLine(e.getMessage()) + "; fix the file or pass another with --kubeconfig", e);
    }
  }

  // fabric8 keeps the current context when the requested one is missing; kubectl refuses, and so do we.
  private static void checkContext(String context, Config config, String source) throws DevproxyException {
    if (context == null) {
      return;
    }
    NamedContext current = config.getCurrentContext();
    if (current == null || !context.equals(current.getName())) {
      List<NamedContext> contexts = config.getContexts() == null ? List.of() : config.getContexts();
      String known = contexts.stream().map(NamedContext::getName).sorted().collect(Collectors.joining(", "));
      throw new DevproxyException(ErrorCategory.CONFIG, "context '" + context + "' not found in " + source
          + " (contexts: " + (known.isEmpty() ? "none" : known) + "); pick one with --context");
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  @FunctionalInterface
  private interface ConfigSupplier {
    Config get();
  }
}

package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.EnvSources.Kind;
import io.devproxy.daemon.kube.EnvSources.Source;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Resolves a container's environment as the kubelet builds it when it starts the container
 * ({@code makeEnvironmentVariables} in kubelet_pods.go), so a local process sees what the pod's process sees:
 * first {@code envFrom} ConfigMaps and Secrets in order, with their prefixes, a later source overriding an earlier
 * one; then {@code env} in order, overriding envFrom: literal values with {@code $(VAR)} expanded against the
 * variables defined before (see {@link EnvExpansion}), ConfigMap and Secret keys, {@code fieldRef} and
 * {@code resourceFieldRef} (see {@link DownwardApi}); values from a source are not expanded. envFrom keys that are
 * not valid environment variable names are skipped with a warning, as the kubelet did before
 * RelaxedEnvironmentVariableValidation.
 *
 * <p>Where the kubelet would not start the container at all (a ConfigMap, Secret or key that is missing and not
 * optional), the variable is left out with a warning naming it, so the developer still gets a process to work with;
 * a missing optional one is skipped silently, as the kubelet does. Also left out with a warning: what a ConfigMap or
 * Secret the user may not read would give (one warning per object, naming the permission); fieldRefs only a
 * running pod knows (name, uid, node, IPs) when none runs; a cpu, memory or ephemeral-storage limit the container
 * does not set (the kubelet gives the node's allocatable amount, and the node is not known); {@code fileKeyRef} (a
 * file inside the pod); values holding a NUL byte (no process environment can carry one). Not reproduced: the
 * Service link variables ({@code KUBERNETES_SERVICE_HOST}, {@code ORDERS_PORT}, ...) the kubelet adds for the
 * namespace's Services: they name cluster IPs, not the local view of them; a {@code $(KUBERNETES_SERVICE_HOST)}
 * in a value stays as written.
 *
 * <p>RBAC: get on configmaps and secrets in the namespace.
 *
 * <p>Thread-safe. Does not own the client: whoever passed it in closes it.
 */
public final class EnvResolver {

  // The kubelet's IsEnvVarName; it also refuses ".", ".." and names starting with "..".
  private static final Pattern ENV_VAR_NAME = Pattern.compile("(?!\\.\\.)(?!\\.$)[-._a-zA-Z][-._a-zA-Z0-9]*");

  private final KubernetesClient client;

  public EnvResolver(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * Reads each ConfigMap and Secret the container refers to at most once.
   *
   * @param namespace the namespace of the workload, where its ConfigMaps and Secrets are
   * @param template the pod template's spec as the user wrote it (without devproxy's agent)
   * @param templateLabels the pod template's labels, for {@code metadata.labels['k']} when no pod runs; null for none
   * @param templateAnnotations the pod template's annotations, likewise; null for none
   * @param container the name of a container in {@code template.containers}
   * @param pod a running pod of the workload, for the fieldRefs only a pod knows (name, uid, node, IPs) and for
   *     labels, annotations, service account and resources as the cluster filled them in; null when none runs
   * @throws IllegalArgumentException when {@code template} has no container named {@code container}
   * @throws DevproxyException CLUSTER when reading a ConfigMap or Secret fails other than by being forbidden
   */
  public ResolvedEnv resolve(String namespace, PodSpec template, Map<String, String> templateLabels,
      Map<String, String> templateAnnotations, String container, Pod pod) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(template, "template");
    requireNonNull(container, "container");
    List<Container> containers = template.getContainers() == null ? List.of() : template.getContainers();
    Container target = containers.stream().filter(c -> container.equals(c.getName())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("container: " + container + " (expected one of: "
            + containers.stream().map(Container::getName).toList() + ")"));
    return new Resolution(namespace, target, new EnvSources(client, namespace),
        new DownwardApi(namespace, template, templateLabels, templateAnnotations, pod)).run();
  }

  static boolean isEnvVarName(String name) {
    return ENV_VAR_NAME.matcher(name).matches();
  }

  /** One call's state. */
  private static final class Resolution {

    private final String namespace;
    private final Container container;
    private final EnvSources sources;
    private final DownwardApi downwardApi;
    private final Map<String, String> variables = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();

    Resolution(String namespace, Container container, EnvSources sources, DownwardApi downwardApi) {
      this.namespace = namespace;
      this.container = container;
      this.sources = sources;
      this.downwardApi = downwardApi;
    }

    ResolvedEnv run() throws DevproxyException {
      if (container.getEnvFrom() != null) {
        for (EnvFromSource from : container.getEnvFrom()) {
          envFrom(from);
        }
      }
      if (container.getEnv() != null) {
        for (EnvVar env : container.getEnv()) {
          env(env);
        }
      }
      warnings.addAll(sources.forbiddenWarnings());
      return new ResolvedEnv(variables, warnings);
    }

    private void envFrom(EnvFromSource from) throws DevproxyException {
      Source source;
      boolean optional;
      if (from.getConfigMapRef() != null) {
        source = sources.get(Kind.CONFIG_MAP, from.getConfigMapRef().getName());
        optional = Boolean.TRUE.equals(from.getConfigMapRef().getOptional());
      } else if (from.getSecretRef() != null) {
        source = sources.get(Kind.SECRET, from.getSecretRef().getName());
        optional = Boolean.TRUE.equals(from.getSecretRef().getOptional());
      } else {
        return;
      }
      String prefix = from.getPrefix() == null ? "" : from.getPrefix();
      String everything = "every variable from envFrom " + source.describe() + (prefix.isEmpty() ? ""
          : " (prefix " + prefix + ")");
      if (source.forbidden()) {
        sources.leftOutForbidden(source, everything);
      } else if (source.data() == null) {
        if (!optional) {
          warnings.add("left out " + everything + ": " + source.describe() + " not found in namespace " + namespace);
        }
      } else {
        List<String> invalid = new ArrayList<>();
        source.data().forEach((key, value) -> {
          if (isEnvVarName(prefix + key)) {
            define(prefix + key, value);
          } else {
            invalid.add(prefix + key);
          }
        });
        if (!invalid.isEmpty()) {
          warnings.add("skipped " + String.join(", ", invalid) + " from envFrom " + source.describe()
              + ": not valid environment variable names");
        }
      }
    }

    private void env(EnvVar env) throws DevproxyException {
      String name = env.getName();
      EnvVarSource from = env.getValueFrom();
      if (env.getValue() != null && !env.getValue().isEmpty()) {
        define(name, EnvExpansion.expand(env.getValue(), variables::get));
      } else if (from == null) {
        define(name, "");
      } else if (from.getFieldRef() != null) {
        lookedUp(name, downwardApi.field(String.valueOf(from.getFieldRef().getFieldPath())));
      } else if (from.getResourceFieldRef() != null) {
        lookedUp(name, downwardApi.resource(from.getResourceFieldRef(), container.getName()));
      } else if (from.getConfigMapKeyRef() != null) {
        key(name, Kind.CONFIG_MAP, from.getConfigMapKeyRef().getName(), from.getConfigMapKeyRef().getKey(),
            Boolean.TRUE.equals(from.getConfigMapKeyRef().getOptional()));
      } else if (from.getSecretKeyRef() != null) {
        key(name, Kind.SECRET, from.getSecretKeyRef().getName(), from.getSecretKeyRef().getKey(),
            Boolean.TRUE.equals(from.getSecretKeyRef().getOptional()));
      } else if (from.getFileKeyRef() != null) {
        leaveOut(name, "fileKeyRef reads " + from.getFileKeyRef().getPath() + " in volume "
            + from.getFileKeyRef().getVolumeName() + " inside the pod, which devproxy cannot read");
      } else {
        define(name, "");
      }
    }

    private void key(String name, Kind kind, String object, String key, boolean optional) throws DevproxyException {
      Source source = sources.get(kind, object);
      if (source.forbidden()) {
        variables.remove(name);
        sources.leftOutForbidden(source, name);
      } else if (source.data() == null) {
        if (!optional) {
          leaveOut(name, source.describe() + " not found in namespace " + namespace);
        }
      } else if (!source.data().containsKey(key)) {
        if (!optional) {
          leaveOut(name, source.describe() + " has no key " + key);
        }
      } else {
        define(name, source.data().get(key));
      }
      // A missing optional reference defines nothing: a value envFrom gave the name stays, as in the kubelet.
    }

    private void lookedUp(String name, DownwardApi.Lookup lookup) {
      if (lookup.value() == null) {
        leaveOut(name, lookup.whyUnknown());
      } else {
        define(name, lookup.value());
      }
    }

    private void define(String name, String value) {
      if (value.indexOf('\0') >= 0) {
        leaveOut(name, "its value holds a NUL byte, which no environment variable can");
      } else {
        variables.put(name, value);
      }
    }

    private void leaveOut(String name, String why) {
      variables.remove(name);
      warnings.add("left out " + name + ": " + why);
    }
  }
}

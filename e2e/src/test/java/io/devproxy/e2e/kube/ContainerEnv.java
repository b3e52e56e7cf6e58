package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's environment and command line as the kubelet prepares them: {@code envFrom}, then {@code env} in
 * order with {@code $(VAR)} references expanded, values from the pod's fields, Secrets and ConfigMaps.
 *
 * <p>The stand-in's one liberty here: a process cannot mount a volume at its {@code mountPath}, so every env value
 * and argument that names a mount path (whole, or after an {@code =} as in {@code --tls-dir=/etc/devproxy/tls})
 * is rewritten to the volume's directory under the stand-in's work directory.
 */
final class ContainerEnv {

  /** The kubelet's CreateContainerConfigError: a reference that cannot be resolved (yet). */
  static final class ConfigError extends Exception {
    private static final long serialVersionUID = 1L;

    ConfigError(String message) {
      super(message);
    }
  }

  private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");
  private static final Pattern LABEL_REF = Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]");

  private ContainerEnv() {}

  /**
   * The container's environment, in definition order, before mount paths are rewritten.
   *
   * @param podIp the address {@code status.podIP} and {@code status.hostIP} resolve to
   * @throws ConfigError when a non-optional Secret, ConfigMap or key is missing, or a source is not supported
   */
  static Map<String, String> resolve(Container c, Pod pod, String podIp, ApiView api) throws ConfigError {
    Map<String, String> env = new LinkedHashMap<>();
    if (c.getEnvFrom() != null) {
      for (EnvFromSource from : c.getEnvFrom()) {
        envFrom(from, api, env);
      }
    }
    if (c.getEnv() != null) {
      for (EnvVar var : c.getEnv()) {
        String value = var.getValueFrom() == null
            ? expand(var.getValue() == null ? "" : var.getValue(), env)
            : valueFrom(var.getName(), var.getValueFrom(), pod, podIp, api);
        if (value != null) {
          env.put(var.getName(), value);
        }
      }
    }
    return env;
  }

  /**
   * The command line: {@code command} (or, when absent, {@code entrypoint}) followed by {@code args}, with
   * {@code $(VAR)} references expanded from {@code env}.
   */
  static List<String> commandLine(Container c, List<String> entrypoint, Map<String, String> env) {
    List<String> line = new ArrayList<>();
    if (c.getCommand() == null || c.getCommand().isEmpty()) {
      line.addAll(entrypoint);
    } else {
      c.getCommand().forEach(s -> line.add(expand(s, env)));
    }
    if (c.getArgs() != null) {
      c.getArgs().forEach(s -> line.add(expand(s, env)));
    }
    return line;
  }

  /** Where each of the container's mount paths lives on disk: the volume's directory, or its {@code subPath}. */
  static Map<String, Path> mounts(Container c, Map<String, Path> volumeDirs) throws ConfigError {
    Map<String, Path> mounts = new LinkedHashMap<>();
    if (c.getVolumeMounts() == null) {
      return mounts;
    }
    for (VolumeMount m : c.getVolumeMounts()) {
      Path dir = volumeDirs.get(m.getName());
      if (dir == null) {
        throw new ConfigError("volumeMount " + m.getName() + " names no volume of the pod");
      }
      String subPath = m.getSubPath() == null || m.getSubPath().isEmpty() ? null : m.getSubPath();
      mounts.put(trimSlash(m.getMountPath()), subPath == null ? dir : dir.resolve(subPath));
    }
    return mounts;
  }

  /**
   * {@code value} with a mount path at its start, or right after an {@code =}, replaced by the local directory;
   * the longest matching mount path wins. A mount path matches only whole path segments.
   */
  static String rewriteMounts(String value, Map<String, Path> mounts) {
    List<String> paths = mounts.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    int at = value.indexOf('=') + 1;
    for (int start : at > 0 ? new int[] {0, at} : new int[] {0}) {
      for (String mountPath : paths) {
        if (value.startsWith(mountPath, start)) {
          int end = start + mountPath.length();
          if (end == value.length() || value.charAt(end) == '/') {
            return value.substring(0, start) + mounts.get(mountPath) + value.substring(end);
          }
        }
      }
    }
    return value;
  }

  /**
   * Kubernetes' {@code $(VAR)} expansion: a defined variable is replaced, an undefined reference is kept as
   * written, and {@code $$} is a literal {@code $}.
   */
  static String expand(String s, Map<String, String> vars) {
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char ch = s.charAt(i);
      if (ch != '$' || i + 1 == s.length()) {
        out.append(ch);
        i++;
        continue;
      }
      char next = s.charAt(i + 1);
      if (next == '$') {
        out.append('$');
        i += 2;
      } else if (next == '(') {
        int close = s.indexOf(')', i + 2);
        if (close < 0) {
          out.append(s, i, s.length());
          break;
        }
        String name = s.substring(i + 2, close);
        String value = vars.get(name);
        out.append(value != null ? value : s.substring(i, close + 1));
        i = close + 1;
      } else {
        out.append(ch).append(next);
        i += 2;
      }
    }
    return out.toString();
  }

  private static void envFrom(EnvFromSource from, ApiView api, Map<String, String> env) throws ConfigError {
    String prefix = from.getPrefix() == null ? "" : from.getPrefix();
    Map<String, byte[]> data;
    if (from.getSecretRef() != null) {
      Secret s = api.secret(from.getSecretRef().getName());
      if (s == null) {
        if (Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
          return;
        }
        throw new ConfigError("secret \"" + from.getSecretRef().getName() + "\" not found");
      }
      data = ApiView.data(s);
    } else if (from.getConfigMapRef() != null) {
      ConfigMap m = api.configMap(from.getConfigMapRef().getName());
      if (m == null) {
        if (Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
          return;
        }
        throw new ConfigError("configmap \"" + from.getConfigMapRef().getName() + "\" not found");
      }
      data = ApiView.data(m);
    } else {
      return;
    }
    data.forEach((k, v) -> {
      if (ENV_NAME.matcher(prefix + k).matches()) {
        env.put(prefix + k, new String(v, StandardCharsets.UTF_8));
      }
    });
  }

  /** The value of one {@code valueFrom}; null when an optional source is missing (the variable is then unset). */
  private static String valueFrom(String name, EnvVarSource from, Pod pod, String podIp, ApiView api)
      throws ConfigError {
    if (from.getFieldRef() != null) {
      return field(name, from.getFieldRef().getFieldPath(), pod, podIp);
    }
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      Secret s = api.secret(ref.getName());
      byte[] value = s == null ? null : ApiView.data(s).get(ref.getKey());
      if (value == null) {
        if (Boolean.TRUE.equals(ref.getOptional())) {
          return null;
        }
        throw new ConfigError(s == null ? "secret \"" + ref.getName() + "\" not found"
            : "couldn't find key " + ref.getKey() + " in Secret " + pod.getMetadata().getNamespace() + "/"
                + ref.getName());
      }
      return new String(value, StandardCharsets.UTF_8);
    }
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      ConfigMap m = api.configMap(ref.getName());
      byte[] value = m == null ? null : ApiView.data(m).get(ref.getKey());
      if (value == null) {
        if (Boolean.TRUE.equals(ref.getOptional())) {
          return null;
        }
        throw new ConfigError(m == null ? "configmap \"" + ref.getName() + "\" not found"
            : "couldn't find key " + ref.getKey() + " in ConfigMap " + pod.getMetadata().getNamespace() + "/"
                + ref.getName());
      }
      return new String(value, StandardCharsets.UTF_8);
    }
    throw new ConfigError("env " + name + ": only value, fieldRef, secretKeyRef and configMapKeyRef are supported"
        + " by the kubelet stand-in");
  }

  private static String field(String name, String path, Pod pod, String podIp) throws ConfigError {
    var meta = pod.getMetadata();
    switch (path) {
      case "metadata.name":
        return meta.getName();
      case "metadata.namespace":
        return meta.getNamespace();
      case "metadata.uid":
        return meta.getUid();
      case "spec.nodeName":
        return pod.getSpec().getNodeName();
      case "spec.serviceAccountName":
        return pod.getSpec().getServiceAccountName();
      case "status.podIP", "status.podIPs", "status.hostIP", "status.hostIPs":
        return podIp;
      default:
        Matcher m = LABEL_REF.matcher(path);
        if (m.matches()) {
          Map<String, String> map = m.group(1).equals("labels") ? meta.getLabels() : meta.getAnnotations();
          return map == null ? "" : map.getOrDefault(m.group(2), "");
        }
        throw new ConfigError("env " + name + ": fieldRef " + path + " is not supported by the kubelet stand-in");
    }
  }

  private static String trimSlash(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}

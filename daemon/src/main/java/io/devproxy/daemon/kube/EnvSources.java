package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ConfigMaps and Secrets one environment resolution reads, each at most once, like the kubelet's per-container
 * caches. A 403 is not an error here: the object is remembered as forbidden, and whatever it would have given is
 * collected into one warning per object. Not thread-safe; one instance per resolution.
 */
final class EnvSources {

  /** The two kinds of object an environment reads, as messages and RBAC name them. */
  enum Kind {
    CONFIG_MAP("configmap", "configmaps"),
    SECRET("secret", "secrets");

    final String noun;
    final String resource;

    Kind(String noun, String resource) {
      this.noun = noun;
      this.resource = resource;
    }
  }

  /**
   * One object as read.
   *
   * @param data its keys (sorted) and values, Secret values decoded; null when it does not exist or is forbidden
   */
  record Source(Kind kind, String name, Map<String, String> data, boolean forbidden) {

    /** e.g. "secret db-creds". */
    String describe() {
      return kind.noun + " " + name;
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, Source> read = new HashMap<>();
  private final Map<Source, List<String>> forbiddenLeftOut = new LinkedHashMap<>();

  EnvSources(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /**
   * The object, read from the API on first use.
   *
   * @throws DevproxyException CLUSTER when the API fails other than by refusing (403)
   */
  Source get(Kind kind, String name) throws DevproxyException {
    String key = kind.resource + "/" + name;
    Source source = read.get(key);
    if (source == null) {
      source = fetch(kind, name);
      read.put(key, source);
    }
    return source;
  }

  /** Notes that {@code variables} (a name, or what an envFrom gives) were left out as {@code source} is forbidden. */
  void leftOutForbidden(Source source, String variables) {
    forbiddenLeftOut.computeIfAbsent(source, s -> new ArrayList<>()).add(variables);
  }

  /** One warning per forbidden object, naming what was left out and the permission to ask for, in first-use order. */
  List<String> forbiddenWarnings() {
    return forbiddenLeftOut.entrySet().stream()
        .map(e -> "left out " + String.join(", ", e.getValue()) + ": forbidden to get " + e.getKey().describe()
            + " in namespace " + namespace + " (ask for 'get " + e.getKey().kind().resource
            + "' in the devproxy developer Role)")
        .toList();
  }

  private Source fetch(Kind kind, String name) throws DevproxyException {
    try {
      Map<String, String> data = kind == Kind.CONFIG_MAP ? configMapData(name) : secretData(name);
      return new Source(kind, name, data, false);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return new Source(kind, name, null, true);
      }
      throw KubeCalls.translate(e, "get", kind.resource, namespace);
    }
  }

  private Map<String, String> configMapData(String name) {
    ConfigMap configMap = client.configMaps().inNamespace(namespace).withName(name).get();
    if (configMap == null) {
      return null;
    }
    // binaryData is not for environment variables: the kubelet reads data only.
    return configMap.getData() == null ? Map.of() : new TreeMap<>(configMap.getData());
  }

  private Map<String, String> secretData(String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      return null;
    }
    Map<String, String> data = new TreeMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, v == null ? ""
          : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    return data;
  }
}

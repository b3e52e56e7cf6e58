package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** One kubelet pass's reads of the Secrets and ConfigMaps its pods refer to, each read at most once per pass. */
final class ApiView {

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, Optional<Secret>> secrets = new HashMap<>();
  private final Map<String, Optional<ConfigMap>> configMaps = new HashMap<>();

  ApiView(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** The Secret, or null when it does not exist. */
  Secret secret(String name) {
    return secrets.computeIfAbsent(name,
        n -> Optional.ofNullable(client.secrets().inNamespace(namespace).withName(n).get())).orElse(null);
  }

  /** The ConfigMap, or null when it does not exist. */
  ConfigMap configMap(String name) {
    return configMaps.computeIfAbsent(name,
        n -> Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(n).get())).orElse(null);
  }

  /** A Secret's keys and decoded values: {@code data}, then {@code stringData} on top (an API server merges it). */
  static Map<String, byte[]> data(Secret secret) {
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, Base64.getMimeDecoder().decode(v)));
    }
    if (secret.getStringData() != null) {
      secret.getStringData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return data;
  }

  /** A ConfigMap's keys and values: {@code data} as UTF-8 and {@code binaryData} decoded. */
  static Map<String, byte[]> data(ConfigMap configMap) {
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (configMap.getData() != null) {
      configMap.getData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    if (configMap.getBinaryData() != null) {
      configMap.getBinaryData().forEach((k, v) -> data.put(k, Base64.getMimeDecoder().decode(v)));
    }
    return data;
  }
}

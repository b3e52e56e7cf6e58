package io.devproxy.daemon.ambassador;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Mapping fixtures as YAML, and a JSON tree view of an object to compare whole objects with a golden one. */
final class Mappings {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Mappings() {}

  static GenericKubernetesResource yaml(String yaml) {
    return SERIALIZATION.unmarshal(yaml, GenericKubernetesResource.class);
  }

  /** The object as a JSON tree (numbers normalized by a text round trip), for whole-object comparison. */
  static JsonNode tree(GenericKubernetesResource object) {
    return JSON.readTree(SERIALIZATION.asJson(object));
  }

  /** The object without what the API server adds (uid, resourceVersion, creationTimestamp...). */
  static GenericKubernetesResource asWritten(GenericKubernetesResource object) {
    GenericKubernetesResource copy = SERIALIZATION.clone(object);
    copy.getMetadata().setUid(null);
    copy.getMetadata().setResourceVersion(null);
    copy.getMetadata().setCreationTimestamp(null);
    copy.getMetadata().setGeneration(null);
    copy.getMetadata().setManagedFields(null);
    return copy;
  }
}

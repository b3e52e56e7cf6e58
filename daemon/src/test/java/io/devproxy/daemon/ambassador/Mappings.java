package io.devproxy.daemon.ambassador;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Mapping fixtures as YAML, and a JSON tree view of an object to compare whole objects with a golden one. */
final class Mappings {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /**
   * The gRPC Mapping, as Ambassador 1.x users write it (ambassador_id a string). The issue writes
   * {@code grpc: True}, which kubectl's YAML 1.1 reads as a boolean but fabric8's YAML 1.2 parser as a string: the
   * API server stores a boolean, so the fixture says {@code true}.
   */
  static final String GRPC_V2 = """
      apiVersion: getambassador.io/v2
      kind: Mapping
      metadata:
        name: grpc-example
        namespace: shop
        labels: {app: grpc-example}
        annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
      spec:
        ambassador_id: edge
        headers: {":authority": grpc.dev.example.com}
        grpc: true
        prefix: /helloworld.Greeter/
        rewrite: /helloworld.Greeter/
        service: grpc-example:50051
        timeout_ms: 0
      """;

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

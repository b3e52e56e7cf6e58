package io.devproxy.daemon.ambassador;

import static io.devproxy.daemon.ambassador.Mappings.asWritten;
import static io.devproxy.daemon.ambassador.Mappings.tree;
import static io.devproxy.daemon.ambassador.Mappings.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reading Mappings from, and writing clones to, fabric8's mock API server with the v3alpha1-only Mapping CRD (the
 * Emissary v4 chart default; the mock serves only a CRD's storage version). v2-shaped clones are covered by
 * {@link HeaderRoutesTest}.
 */
@EnableKubernetesMockClient(crud = true)
class MappingReaderTest {

  private static final String V3 = "getambassador.io/v3alpha1";

  KubernetesClient client;

  @Test
  void noMappingCrdReadsNothing() {
    assertThat(new MappingReader(client).routingTo("shop", "orders", null)).isEmpty();
  }

  @Test
  void readsTheMappingsThatRouteToTheServiceInEveryForm() throws Exception {
    CrdFiles.applyMappingCrd(client);
    create("shop", "orders-bare", "orders");
    create("shop", "orders-fqdn", "https://orders.shop.svc.cluster.local:443");
    create("shop", "orders-admin", "orders.shop:8080");
    create("shop", "orders-tls", "orders.shop", "tls: upstream");
    create("shop", "orders-v2", "orders-v2");
    create("shop", "orders-in-billing", "orders.billing");
    create("shop", "external", "orders.example.com");
    create("billing", "orders", "orders");
    create("shop", "orders-bare-devproxy-bob-123456", "orders",
        "headers: {x-devproxy-session: bob}", "labels", "app.kubernetes.io/managed-by: devproxy");

    MappingReader reader = new MappingReader(client);

    assertThat(names(reader.routingTo("shop", "orders", null)))
        .containsExactly("orders-admin", "orders-bare", "orders-fqdn", "orders-tls");
    assertThat(names(reader.routingTo("shop", "orders", 80))).containsExactly("orders-bare");
    assertThat(names(reader.routingTo("shop", "orders", 443))).containsExactly("orders-fqdn", "orders-tls");
    assertThat(names(reader.routingTo("shop", "orders", 8080))).containsExactly("orders-admin");
    assertThat(names(reader.routingTo("billing", "orders", null))).containsExactly("orders");
    assertThat(names(reader.routingTo("shop", "orders-v2", null))).containsExactly("orders-v2");
  }

  /** The gRPC Mapping in v3alpha1: read, cloned, written, read back as the golden object. */
  @Test
  void grpcV3alpha1CloneRoundTripsThroughTheApi() throws Exception {
    CrdFiles.applyMappingCrd(client);
    client.genericKubernetesResources(V3, "Mapping").inNamespace("shop").resource(yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: grpc-example, namespace: shop}
        spec:
          ambassador_id: [edge]
          headers: {":authority": grpc.dev.example.com}
          grpc: true
          prefix: /helloworld.Greeter/
          rewrite: /helloworld.Greeter/
          service: grpc-example:50051
          timeout_ms: 0
        """)).create();

    List<GenericKubernetesResource> originals = new MappingReader(client).routingTo("shop", "grpc-example", 50051);
    List<GenericKubernetesResource> clones = new HeaderRoutes("alice", "s-1234").sidecar(originals);
    clones.forEach(c -> client.genericKubernetesResources(V3, "Mapping").inNamespace("shop").resource(c).create());

    GenericKubernetesResource stored = client.genericKubernetesResources(V3, "Mapping").inNamespace("shop")
        .withName("grpc-example-devproxy-alice-aead20").get();
    assertThat(tree(asWritten(stored))).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata:
          name: grpc-example-devproxy-alice-aead20
          namespace: shop
          labels: {app.kubernetes.io/managed-by: devproxy, devproxy.io/session: s-1234}
          annotations: {devproxy.io/clone-of: grpc-example}
        spec:
          ambassador_id: [edge]
          headers: {":authority": grpc.dev.example.com, x-devproxy-session: alice}
          grpc: true
          prefix: /helloworld.Greeter/
          rewrite: /helloworld.Greeter/
          service: grpc-example:50051
          timeout_ms: 0
          precedence: 1
        """)));
    assertThat(AmbassadorSchemas.errors(stored)).isEmpty();
    assertThat(names(new MappingReader(client).routingTo("shop", "grpc-example", null)))
        .as("clones are not read back as originals").containsExactly("grpc-example");
  }

  /**
   * A canary: stable and canary Mappings share prefix and host and split by weight. Only the one routing to the
   * intercepted Service is cloned, without its weight, so the developer's header route takes all their requests.
   */
  @Test
  void canaryCloneDropsTheWeightAndPointsAtTheShadow() throws Exception {
    CrdFiles.applyMappingCrd(client);
    create("shop", "orders-stable", "orders:80", "hostname: shop.example.com", "weight: 90", "precedence: 3");
    create("shop", "orders-canary", "orders-next:80", "hostname: shop.example.com", "weight: 10", "precedence: 3");

    List<GenericKubernetesResource> originals = new MappingReader(client).routingTo("shop", "orders", 80);
    List<GenericKubernetesResource> clones = new HeaderRoutes("alice", "s-1234")
        .shadow(originals, "orders-devproxy-alice");
    clones.forEach(c -> client.genericKubernetesResources(V3, "Mapping").inNamespace("shop").resource(c).create());

    List<GenericKubernetesResource> stored = client.genericKubernetesResources(V3, "Mapping").inNamespace("shop")
        .withLabel(HeaderRoutes.SESSION_LABEL, "s-1234").list().getItems();
    assertThat(stored).singleElement().satisfies(clone -> {
      assertThat(clone.getMetadata().getAnnotations()).containsEntry(HeaderRoutes.CLONE_OF, "orders-stable");
      assertThat(tree(clone).get("spec")).isEqualTo(tree(yaml("""
          apiVersion: getambassador.io/v3alpha1
          kind: Mapping
          spec:
            prefix: /orders/
            service: orders-devproxy-alice:80
            hostname: shop.example.com
            precedence: 4
            headers: {x-devproxy-session: alice}
          """)).get("spec"));
      assertThat(AmbassadorSchemas.errors(clone)).isEmpty();
    });
  }

  private void create(String namespace, String name, String service, String... more) {
    StringBuilder spec = new StringBuilder("  prefix: /orders/\n  service: \"" + service + "\"\n");
    String labels = "";
    for (int i = 0; i < more.length; i++) {
      if (more[i].equals("labels")) {
        labels = "  labels: {" + more[++i] + "}\n";
      } else {
        spec.append("  ").append(more[i]).append('\n');
      }
    }
    client.genericKubernetesResources(V3, "Mapping").inNamespace(namespace).resource(yaml(
        "apiVersion: " + V3 + "\nkind: Mapping\nmetadata:\n  name: " + name + "\n  namespace: " + namespace + "\n"
            + labels + "spec:\n" + spec)).create();
  }

  private static List<String> names(List<GenericKubernetesResource> mappings) {
    return mappings.stream().map(m -> m.getMetadata().getName()).toList();
  }
}

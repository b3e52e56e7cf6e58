package io.devproxy.daemon.ambassador;

import static io.devproxy.daemon.ambassador.Mappings.GRPC_V2;
import static io.devproxy.daemon.ambassador.Mappings.tree;
import static io.devproxy.daemon.ambassador.Mappings.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden tests of preview Mappings and Hosts; every generated object validates against its CRD schema. */
class PreviewRoutesTest {

  private static final String HOST = "alice-orders.preview.example.com";

  private final PreviewRoutes previews = new PreviewRoutes("alice", "s-1234", HOST);

  @Test
  void grpcV2PreviewMatchesThePreviewHostInsteadOfTheAuthorityAndAddsTheSession() throws Exception {
    GenericKubernetesResource preview = previews.of(List.of(yaml(GRPC_V2)), null).get(0);

    assertThat(tree(preview)).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v2
        kind: Mapping
        metadata:
          name: grpc-example-preview-alice-HASH
          namespace: shop
          labels: {app: grpc-example, app.kubernetes.io/managed-by: devproxy, devproxy.io/session: s-1234,
                   devproxy.io/preview: "true"}
          annotations: {devproxy.io/clone-of: grpc-example, devproxy.io/preview-host: alice-orders.preview.example.com}
        spec:
          host: alice-orders.preview.example.com
          ambassador_id: edge
          grpc: true
          prefix: /helloworld.Greeter/
          rewrite: /helloworld.Greeter/
          service: grpc-example:50051
          timeout_ms: 0
          add_request_headers:
            x-devproxy-session: {value: alice, append: false}
            baggage: {value: devproxy-session=alice, append: true}
          precedence: 1
        """.replace("HASH", "479386"))));
    assertThat(AmbassadorSchemas.errors(preview)).isEmpty();
  }

  @Test
  void restV3alpha1PreviewKeepsOtherMatchesMergesBaggageAndRoutesToTheShadow() throws Exception {
    GenericKubernetesResource original = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: orders-api, namespace: shop}
        spec:
          ambassador_id: [edge]
          hostname: shop.dev.example.com
          prefix: /api/orders/
          rewrite: /orders/
          service: orders.shop:8080
          headers: {x-beta: "true", ":authority": shop.dev.example.com}
          regex_headers: {Host: "^shop\\\\..*$", user-agent: ".*Mobile.*"}
          add_request_headers: {x-env: {value: dev}, baggage: {value: "env=dev", append: true}}
          precedence: 5
          weight: 90
          timeout_ms: 3000
        """);

    GenericKubernetesResource preview = previews.of(List.of(original), "orders-devproxy-alice").get(0);

    assertThat(tree(preview).get("spec")).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        spec:
          hostname: alice-orders.preview.example.com
          ambassador_id: [edge]
          prefix: /api/orders/
          rewrite: /orders/
          service: orders-devproxy-alice.shop:8080
          headers: {x-beta: "true"}
          regex_headers: {user-agent: ".*Mobile.*"}
          add_request_headers:
            x-env: {value: dev}
            baggage: {value: "env=dev,devproxy-session=alice", append: true}
            x-devproxy-session: {value: alice, append: false}
          precedence: 6
          timeout_ms: 3000
        """)).get("spec"));
    assertThat(AmbassadorSchemas.errors(preview)).isEmpty();
  }

  @Test
  void canaryWeightAndHostRegexAreReplacedByThePreviewHost() throws Exception {
    GenericKubernetesResource canary = yaml("""
        apiVersion: getambassador.io/v2
        kind: Mapping
        metadata: {name: orders-canary, namespace: shop}
        spec:
          host: "^shop-(eu|us)\\\\.example\\\\.com$"
          host_regex: true
          prefix: /
          service: orders:80
          weight: 10
        """);

    GenericKubernetesResource preview = previews.of(List.of(canary), null).get(0);

    assertThat(HeaderRoutes.spec(preview)).containsEntry("host", HOST).doesNotContainKeys("host_regex", "weight")
        .containsEntry("precedence", 1L);
    assertThat(AmbassadorSchemas.errors(preview)).isEmpty();
  }

  @Test
  void aServiceWithoutMappingsGetsOneCatchAllRoute() {
    GenericKubernetesResource grpc = previews.forService(AmbassadorApi.V3ALPHA1, "shop", "orders", 50051, true, null);
    GenericKubernetesResource rest = previews.forService(AmbassadorApi.V2, "shop", "orders", 80, false,
        "orders-devproxy-alice");

    assertThat(tree(grpc)).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata:
          name: orders-preview-alice-HASH
          namespace: shop
          labels: {app.kubernetes.io/managed-by: devproxy, devproxy.io/session: s-1234, devproxy.io/preview: "true"}
          annotations: {devproxy.io/preview-host: alice-orders.preview.example.com}
        spec:
          hostname: alice-orders.preview.example.com
          prefix: /
          grpc: true
          service: orders:50051
          add_request_headers:
            x-devproxy-session: {value: alice, append: false}
            baggage: {value: devproxy-session=alice, append: true}
        """.replace("HASH", previews.name("orders").substring(previews.name("orders").length() - 6)))));
    assertThat(HeaderRoutes.spec(rest)).containsEntry("host", HOST)
        .containsEntry("service", "orders-devproxy-alice:80").doesNotContainKey("grpc");
    assertThat(AmbassadorSchemas.errors(grpc)).isEmpty();
    assertThat(AmbassadorSchemas.errors(rest)).isEmpty();
  }

  @Test
  void hostResourcesServeTlsFromTheSecretOrCleartextAndValidateInBothVersions() {
    GenericKubernetesResource tls = previews.hostResource(AmbassadorApi.V3ALPHA1, "shop", "orders", "preview-cert",
        "edge");
    GenericKubernetesResource cleartext = previews.hostResource(AmbassadorApi.V2, "shop", "orders", null,
        List.of("edge", "internal"));

    assertThat(tree(tls)).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Host
        metadata:
          name: NAME
          namespace: shop
          labels: {app.kubernetes.io/managed-by: devproxy, devproxy.io/session: s-1234, devproxy.io/preview: "true"}
          annotations: {devproxy.io/preview-host: alice-orders.preview.example.com}
        spec:
          ambassador_id: [edge]
          hostname: alice-orders.preview.example.com
          acmeProvider: {authority: none}
          tlsSecret: {name: preview-cert}
        """.replace("NAME", previews.name("orders")))));
    assertThat(tree(cleartext).get("spec")).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v2
        kind: Host
        spec:
          ambassador_id: [edge, internal]
          hostname: alice-orders.preview.example.com
          acmeProvider: {authority: none}
          requestPolicy: {insecure: {action: Route}}
        """)).get("spec"));
    assertThat(AmbassadorSchemas.errors(tls)).isEmpty();
    assertThat(AmbassadorSchemas.errors(cleartext)).isEmpty();
  }

  @Test
  void namesAreStablePerOriginalHostAndKey() {
    assertThat(previews.name("orders")).matches("orders-preview-alice-[0-9a-f]{6}")
        .isEqualTo(new PreviewRoutes("alice", "other-session", HOST).name("orders"))
        .isNotEqualTo(new PreviewRoutes("alice", "s-1234", "other.example.com").name("orders"))
        .isNotEqualTo(new PreviewRoutes("bob", "s-1234", HOST).name("orders"));
    assertThat(previews.name("x".repeat(80))).hasSize(63);
  }

  @Test
  void defaultHostIsKeyDashServiceUnderTheDomain() throws Exception {
    assertThat(PreviewRoutes.defaultHost("alice", "orders", "Preview.Example.com.")).isEqualTo(HOST);
    assertThat(PreviewRoutes.defaultHost("John.Doe_", "orders", "example.com"))
        .isEqualTo("john-doe-orders.example.com");
    assertThatThrownBy(() -> PreviewRoutes.defaultHost("alice", "o".repeat(60), "example.com"))
        .isInstanceOf(DevproxyException.class).hasMessageContaining("pass --host");
    assertThatThrownBy(() -> PreviewRoutes.defaultHost("alice", "orders", "bad_domain"))
        .isInstanceOf(DevproxyException.class).hasMessageContaining("--domain: 'alice-orders.bad_domain'");
    assertThat(PreviewRoutes.checkHost("Alice.Example.com", "--host")).isEqualTo("alice.example.com");
    for (String bad : List.of("", "localhost", "a..b", "-a.b", "a.b-", "a b.c", "x".repeat(64) + ".com")) {
      assertThatThrownBy(() -> PreviewRoutes.checkHost(bad, "--host")).isInstanceOf(DevproxyException.class)
          .hasMessageStartingWith("--host: '" + bad + "' is not a host name");
    }
  }

  @Test
  void aMappingThatAlreadyAddsTheSessionOrHasAnUnknownFieldIsNotCopied() {
    GenericKubernetesResource handMade = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: by-hand, namespace: shop}
        spec: {prefix: /, service: orders, add_request_headers: {X-Devproxy-Session: {value: bob}}}
        """);
    GenericKubernetesResource redirect = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: redirect, namespace: shop}
        spec: {prefix: /, service: orders, host_redirect: true}
        """);

    assertThatThrownBy(() -> previews.of(List.of(yaml(GRPC_V2), handMade), null))
        .isInstanceOfSatisfying(DevproxyException.class, e -> assertThat(e.category()).isEqualTo(ErrorCategory.USER))
        .hasMessageContaining("Mapping shop/by-hand already adds header 'x-devproxy-session'");
    assertThatThrownBy(() -> previews.of(List.of(redirect), null))
        .hasMessageContaining("Mapping shop/redirect has field 'host_redirect' devproxy cannot clone faithfully");
  }
}

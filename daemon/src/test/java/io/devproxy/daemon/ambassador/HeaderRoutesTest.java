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

/** Golden tests of the pure clone on v2- and v3alpha1-shaped Mappings; every clone validates against its schema. */
class HeaderRoutesTest {

  private final HeaderRoutes routes = new HeaderRoutes("alice", "s-1234");

  @Test
  void grpcV2CloneAddsTheHeaderAboveTheOriginal() throws Exception {
    GenericKubernetesResource clone = routes.sidecar(List.of(yaml(GRPC_V2))).get(0);

    assertThat(tree(clone)).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v2
        kind: Mapping
        metadata:
          name: grpc-example-devproxy-alice-HASH
          namespace: shop
          labels: {app: grpc-example, app.kubernetes.io/managed-by: devproxy, devproxy.io/session: s-1234}
          annotations: {devproxy.io/clone-of: grpc-example}
        spec:
          ambassador_id: edge
          headers: {":authority": grpc.dev.example.com, x-devproxy-session: alice}
          grpc: true
          prefix: /helloworld.Greeter/
          rewrite: /helloworld.Greeter/
          service: grpc-example:50051
          timeout_ms: 0
          precedence: 1
        """.replace("HASH", "aead20"))));
    assertThat(AmbassadorSchemas.errors(clone)).isEmpty();
  }

  @Test
  void grpcV2ShadowClonePointsAtTheShadowServiceOnTheSamePort() throws Exception {
    GenericKubernetesResource clone = routes.shadow(List.of(yaml(GRPC_V2)), "grpc-example-devproxy-alice").get(0);

    assertThat(HeaderRoutes.spec(clone)).containsEntry("service", "grpc-example-devproxy-alice:50051");
    assertThat(AmbassadorSchemas.errors(clone)).isEmpty();
  }

  /** Host-based REST on Ambassador 1.x: a boolean header match (present), regex_headers, a canary weight. */
  @Test
  void restV2CloneKeepsHostBooleanAndRegexHeadersAndDropsWeight() throws Exception {
    GenericKubernetesResource original = yaml("""
        apiVersion: getambassador.io/v2
        kind: Mapping
        metadata: {name: orders-api, namespace: shop}
        spec:
          ambassador_id: [edge, internal]
          host: shop.dev.example.com
          prefix: /api/orders/
          rewrite: /orders/
          service: http://orders.shop:80
          headers: {x-beta: true, x-region: eu}
          regex_headers: {x-tenant: "^acme-.*$"}
          precedence: 5
          weight: 90
          add_request_headers: {x-env: dev, x-from: {value: edge, append: false}}
          remove_response_headers: server
          tls: false
        """);

    GenericKubernetesResource clone = routes.shadow(List.of(original), "orders-devproxy-alice").get(0);

    assertThat(tree(clone).get("spec")).isEqualTo(tree(yaml("""
        apiVersion: getambassador.io/v2
        kind: Mapping
        spec:
          ambassador_id: [edge, internal]
          host: shop.dev.example.com
          prefix: /api/orders/
          rewrite: /orders/
          service: http://orders-devproxy-alice.shop:80
          headers: {x-beta: true, x-region: eu, x-devproxy-session: alice}
          regex_headers: {x-tenant: "^acme-.*$"}
          precedence: 6
          add_request_headers: {x-env: dev, x-from: {value: edge, append: false}}
          remove_response_headers: server
          tls: false
        """)).get("spec"));
    assertThat(AmbassadorSchemas.errors(clone)).isEmpty();
  }

  @Test
  void restV3alpha1CloneKeepsHostnameCorsRetriesAndRegexHeaders() throws Exception {
    GenericKubernetesResource original = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: storefront, namespace: shop}
        spec:
          ambassador_id: [edge]
          hostname: "*.shop.example.com"
          prefix: /
          service: https://storefront.shop.svc.cluster.local:8443
          tls: upstream-tls
          headers: {x-beta: "true"}
          v2BoolHeaders: [x-beta]
          regex_headers: {user-agent: ".*Mobile.*"}
          method: GET
          timeout_ms: 10000
          idle_timeout_ms: 60000
          connect_timeout_ms: 2000
          cors: {origins: ["https://shop.example.com"], methods: [GET, POST], max_age: "86400"}
          retry_policy: {retry_on: 5xx, num_retries: 2}
          circuit_breakers: [{max_connections: 100, max_requests: 200}]
          load_balancer: {policy: round_robin}
          add_request_headers: {x-env: {value: dev}}
          remove_request_headers: [x-debug]
          allow_upgrade: [websocket]
          bypass_auth: false
          case_sensitive: false
          cluster_tag: storefront
          docs: {path: /.ambassador-internal/openapi-docs}
        """);

    GenericKubernetesResource clone = routes.sidecar(List.of(original)).get(0);

    GenericKubernetesResource expected = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        spec:
          ambassador_id: [edge]
          hostname: "*.shop.example.com"
          prefix: /
          service: https://storefront.shop.svc.cluster.local:8443
          tls: upstream-tls
          headers: {x-beta: "true", x-devproxy-session: alice}
          v2BoolHeaders: [x-beta]
          regex_headers: {user-agent: ".*Mobile.*"}
          method: GET
          timeout_ms: 10000
          idle_timeout_ms: 60000
          connect_timeout_ms: 2000
          cors: {origins: ["https://shop.example.com"], methods: [GET, POST], max_age: "86400"}
          retry_policy: {retry_on: 5xx, num_retries: 2}
          circuit_breakers: [{max_connections: 100, max_requests: 200}]
          load_balancer: {policy: round_robin}
          add_request_headers: {x-env: {value: dev}}
          remove_request_headers: [x-debug]
          allow_upgrade: [websocket]
          bypass_auth: false
          case_sensitive: false
          cluster_tag: storefront
          docs: {path: /.ambassador-internal/openapi-docs}
          precedence: 1
        """);
    assertThat(tree(clone).get("spec")).isEqualTo(tree(expected).get("spec"));
    assertThat(AmbassadorSchemas.errors(clone)).isEmpty();
  }

  @Test
  void unknownFieldClonesNothingAndNamesMappingAndField() {
    GenericKubernetesResource fine = yaml(GRPC_V2);
    GenericKubernetesResource odd = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: grpc-odd, namespace: shop}
        spec: {prefix: /x/, service: grpc-example:50051, foo: bar}
        """);

    assertThatThrownBy(() -> routes.sidecar(List.of(fine, odd)))
        .isInstanceOf(DevproxyException.class)
        .hasMessageStartingWith("Mapping shop/grpc-odd has field 'foo' devproxy cannot clone faithfully;"
            + " nothing was cloned")
        .satisfies(e -> assertThat(((DevproxyException) e).category()).isEqualTo(ErrorCategory.USER));
  }

  @Test
  void redirectsShadowsAndEnvoyOverridesAreRefused() {
    for (String field : List.of("host_redirect: true", "shadow: true", "envoy_override: {a: b}",
        "prefix_redirect: /new/", "modules: [{a: b}]")) {
      GenericKubernetesResource original = yaml("""
          apiVersion: getambassador.io/v3alpha1
          kind: Mapping
          metadata: {name: legacy, namespace: shop}
          spec: {prefix: /old/, service: orders, FIELD}
          """.replace("FIELD", field));

      assertThatThrownBy(() -> routes.sidecar(List.of(original)))
          .as(field)
          .isInstanceOf(DevproxyException.class)
          .hasMessageContaining("Mapping shop/legacy has field '" + field.substring(0, field.indexOf(':')) + "'");
    }
  }

  @Test
  void aMappingThatAlreadyMatchesTheSessionHeaderIsRefused() {
    GenericKubernetesResource original = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: by-hand, namespace: shop}
        spec: {prefix: /, service: orders, headers: {X-Devproxy-Session: bob}}
        """);

    assertThatThrownBy(() -> routes.sidecar(List.of(original)))
        .isInstanceOf(DevproxyException.class)
        .hasMessageContaining("shop/by-hand already matches header 'x-devproxy-session'");
  }

  @Test
  void longNamesAreTruncatedToALabelWithAStableHash() {
    String original = "a-very-long-mapping-name-for-the-orders-service-public-api-v1";

    String name = routes.cloneName(original);

    assertThat(name).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")
        .startsWith("a-very-long-mapping-name-for-the-orders-service-public-")
        .isEqualTo(routes.cloneName(original))
        .isNotEqualTo(routes.cloneName(original + "2"))
        .isNotEqualTo(new HeaderRoutes("bob", "s-1").cloneName(original));
    assertThat(routes.cloneName("orders")).matches("orders-devproxy-alice-[0-9a-f]{6}");
  }

  @Test
  void schemaCatchesV2ShapesUnderV3alpha1() {
    GenericKubernetesResource wrong = yaml("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: wrong, namespace: shop}
        spec: {prefix: /, service: orders, ambassador_id: edge, headers: {x-beta: true}}
        """);

    assertThat(AmbassadorSchemas.errors(wrong)).hasSize(2)
        .anyMatch(e -> e.contains("ambassador_id")).anyMatch(e -> e.contains("x-beta"));
  }

  @Test
  void keysAreMadeNameSafeInNamesAndKeptInTheHeader() throws Exception {
    HeaderRoutes john = new HeaderRoutes("John.Doe_2", "s-1");

    GenericKubernetesResource clone = john.sidecar(List.of(yaml(GRPC_V2))).get(0);

    assertThat(clone.getMetadata().getName()).matches("grpc-example-devproxy-john-doe-2-[0-9a-f]{6}")
        .isNotEqualTo(new HeaderRoutes("john-doe-2", "s-1").cloneName("grpc-example"));
    assertThat(HeaderRoutes.spec(clone).get("headers")).isEqualTo(java.util.Map.of(":authority",
        "grpc.dev.example.com", "x-devproxy-session", "John.Doe_2"));
    assertThatThrownBy(() -> new HeaderRoutes("Alice Smith", "s-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("key: Alice Smith (expected:");
  }
}

package io.devproxy.e2e.ambassador;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.daemon.ambassador.ServiceRef;
import io.devproxy.e2e.RawHttp;
import io.devproxy.e2e.RawHttp.Response;
import io.devproxy.sandbox.greeter.GreeterServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link HaproxyEdge} against real HAProxy: Mappings shaped like the ones devproxy reads and writes route real
 * HTTP/1.1 requests and gRPC calls to loopback upstreams, each of which names itself in its answer.
 */
class HaproxyEdgeTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** The cluster's routes: Ambassador 1.x (v2) and Emissary 2+ (v3alpha1) shapes mixed, as after an upgrade. */
  private static final List<String> MAPPINGS = List.of("""
      apiVersion: getambassador.io/v2
      kind: Mapping
      metadata: {name: orders, namespace: shop, labels: {app: orders}}
      spec:
        ambassador_id: edge
        prefix: /orders/
        service: orders:80
        timeout_ms: 3000
      """, """
      apiVersion: getambassador.io/v2
      kind: Mapping
      metadata:
        name: orders-devproxy-alice-6d1f0c
        namespace: shop
        labels: {app: orders, app.kubernetes.io/managed-by: devproxy, devproxy.io/session: s-1234}
        annotations: {devproxy.io/clone-of: orders}
      spec:
        ambassador_id: edge
        prefix: /orders/
        service: orders-devproxy-alice:80
        timeout_ms: 3000
        headers: {x-devproxy-session: alice}
        precedence: 1
      """, """
      apiVersion: getambassador.io/v3alpha1
      kind: Mapping
      metadata: {name: orders-canary, namespace: shop}
      spec:
        hostname: "*"
        prefix: /orders/
        regex_headers: {x-canary: "yes|true"}
        service: orders-canary.shop:80
      """, """
      apiVersion: getambassador.io/v2
      kind: Mapping
      metadata: {name: web, namespace: shop}
      spec:
        host: www.example.com
        prefix: /
        service: http://web.shop.svc.cluster.local:8080
      """, """
      apiVersion: getambassador.io/v3alpha1
      kind: Mapping
      metadata: {name: api, namespace: shop}
      spec:
        hostname: api.example.com
        prefix: /v1/
        rewrite: /api/v1/
        method: GET
        add_request_headers:
          x-edge: haproxy
          x-tenant: {value: shop, append: false}
        service: api.shop:8080
        retry_policy: {retry_on: 5xx, num_retries: 2}
      """, """
      apiVersion: getambassador.io/v3alpha1
      kind: Mapping
      metadata: {name: legacy, namespace: shop}
      spec:
        hostname: "*"
        prefix: /legacy/
        rewrite: ""
        service: legacy
      """, """
      apiVersion: getambassador.io/v2
      kind: Mapping
      metadata: {name: grpc-example, namespace: shop}
      spec:
        headers: {":authority": grpc.dev.example.com}
        grpc: True
        prefix: /helloworld.Greeter/
        rewrite: /helloworld.Greeter/
        service: grpc-example:50051
      """, """
      apiVersion: getambassador.io/v2
      kind: Mapping
      metadata: {name: grpc-example-devproxy-alice-1b9e44, namespace: shop}
      spec:
        headers: {":authority": grpc.dev.example.com, x-devproxy-session: alice}
        grpc: true
        prefix: /helloworld.Greeter/
        rewrite: /helloworld.Greeter/
        service: grpc-example-devproxy-alice:50051
        precedence: 1
      """);

  @TempDir
  static Path workDir;

  static final List<EchoBackend> backends = new ArrayList<>();
  static final Map<String, InetSocketAddress> upstreams = new HashMap<>();
  static GreeterServer greeter;
  static GreeterServer greeterAlice;
  static HaproxyEdge edge;

  @BeforeAll
  static void start() throws Exception {
    HaproxyEdge.assumeInstalled();
    for (String name : List.of("orders", "orders-devproxy-alice", "orders-canary", "web", "api", "legacy")) {
      EchoBackend backend = EchoBackend.start(name);
      backends.add(backend);
      upstreams.put(name, backend.address());
    }
    greeter = new GreeterServer("grpc-example");
    upstreams.put("grpc-example", greeter.start());
    greeterAlice = new GreeterServer("grpc-example-devproxy-alice");
    upstreams.put("grpc-example-devproxy-alice", greeterAlice.start());
    edge = HaproxyEdge.start(workDir, MAPPINGS.stream().map(HaproxyEdgeTest::mapping).toList(), resolver());
  }

  @AfterAll
  static void stop() {
    if (edge != null) {
      edge.close();
    }
    backends.forEach(EchoBackend::close);
    if (greeter != null) {
      greeter.close();
    }
    if (greeterAlice != null) {
      greeterAlice.close();
    }
  }

  @Test
  void prefixWithoutRewriteIsRewrittenToSlash() throws IOException {
    Response answer = get("shop.example.com", "/orders/items/7?color=red");

    assertRoutedTo(answer, "orders");
    assertThat(answer.header(EchoBackend.PATH)).isEqualTo("/items/7?color=red");
  }

  @Test
  void headerRouteCloneWinsOnlyWithTheSessionHeader() throws IOException {
    Response alice = get("shop.example.com", "/orders/items/7", "x-devproxy-session: alice");
    Response bob = get("shop.example.com", "/orders/items/7", "x-devproxy-session: bob");

    assertRoutedTo(alice, "orders-devproxy-alice");
    assertThat(alice.header(EchoBackend.PATH)).isEqualTo("/items/7");
    assertThat(alice.header(EchoBackend.ECHO_PREFIX + "x-devproxy-session")).isEqualTo("alice");
    assertRoutedTo(bob, "orders");
  }

  @Test
  void regexHeadersMatchTheWholeValueBelowTheHigherPrecedenceClone() throws IOException {
    assertRoutedTo(get("shop.example.com", "/orders/1", "x-canary: yes"), "orders-canary");
    assertRoutedTo(get("shop.example.com", "/orders/1", "x-canary: yessir"), "orders");
    assertRoutedTo(get("shop.example.com", "/orders/1", "x-canary: true", "x-devproxy-session: alice"),
        "orders-devproxy-alice");
  }

  @Test
  void v2HostMatchesTheHostWithoutItsPort() throws IOException {
    Response web = get("www.example.com:" + edge.port(), "/index.html");

    assertRoutedTo(web, "web");
    assertThat(web.header(EchoBackend.PATH)).isEqualTo("/index.html");
    assertThat(get("shop.example.com", "/index.html").status()).isEqualTo(404);
  }

  /** Emissary orders by precedence, then prefix length, and only then by header (and host) matches. */
  @Test
  void longerPrefixBeatsAHostMatchOfTheSamePrecedence() throws IOException {
    assertRoutedTo(get("www.example.com", "/orders/items/7"), "orders");
  }

  @Test
  void v3alpha1HostnameWithExplicitRewriteAndMethod() throws IOException {
    Response api = get("api.example.com", "/v1/users?page=2");

    assertRoutedTo(api, "api");
    assertThat(api.header(EchoBackend.PATH)).isEqualTo("/api/v1/users?page=2");
    assertThat(request("POST", "api.example.com", "/v1/users").status()).isEqualTo(404);
    assertRoutedTo(get("www.example.com", "/v1/users"), "web");
  }

  @Test
  void emptyRewriteSendsThePathAsItIs() throws IOException {
    assertThat(get("shop.example.com", "/legacy/report").header(EchoBackend.PATH)).isEqualTo("/legacy/report");
  }

  @Test
  void addRequestHeadersAppendOrReplace() throws IOException {
    Response api = get("api.example.com", "/v1/users", "x-edge: client", "x-tenant: evil");

    assertThat(api.header(EchoBackend.ECHO_PREFIX + "x-edge")).isEqualTo("client,haproxy");
    assertThat(api.header(EchoBackend.ECHO_PREFIX + "x-tenant")).isEqualTo("shop");
  }

  @Test
  void noMatchingRouteIs404() throws IOException {
    assertThat(get("shop.example.com", "/nothing/here").status()).isEqualTo(404);
  }

  @Test
  void grpcMappingRoutesByAuthorityToAnH2cUpstream() throws Exception {
    assertThat(sayHello("grpc.dev.example.com", null)).as(edge::log).isEqualTo("grpc-example");
    assertThat(sayHello("grpc.dev.example.com", "alice")).as(edge::log).isEqualTo("grpc-example-devproxy-alice");
    StatusRuntimeException other = catchThrowableOfType(StatusRuntimeException.class,
        () -> sayHello("other.example.com", null));
    assertThat(other.getStatus().getCode()).as("HTTP 404 in gRPC").isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "prefix_regex | prefix_regex: true",
      "host_regex | host: '.*\\.example\\.com', host_regex: true",
      "hostname | hostname: '*.example.com'",
      "case_sensitive | case_sensitive: false",
      "query_parameters | query_parameters: {debug: '1'}",
      "regex_rewrite | regex_rewrite: {pattern: '/orders/(.*)', substitution: '/\\1'}",
      "host_rewrite | host_rewrite: orders.internal",
      "add_response_headers | add_response_headers: {x-frame-options: DENY}",
      "add_request_headers.x-client | add_request_headers: {x-client: '%DOWNSTREAM_REMOTE_ADDRESS%'}",
      "service | service: https://orders:443"})
  void fieldsThatWouldRouteDifferentlyAreRefusedByName(String field, String fields) {
    GenericKubernetesResource odd = mapping("""
        apiVersion: getambassador.io/v3alpha1
        kind: Mapping
        metadata: {name: orders-odd, namespace: shop}
        spec: {prefix: /orders/, FIELDS}
        """.replace("FIELDS", fields.contains("service:") ? fields : fields + ", service: orders"));

    assertThatThrownBy(() -> HaproxyEdge.start(workDir.resolve("refused"), List.of(odd), resolver()))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("shop/orders-odd")
        .hasMessageContaining("'" + field + ":");
  }

  /** On failure, shows which backend haproxy chose for each request so far, and its configuration. */
  private static void assertRoutedTo(Response answer, String upstream) {
    assertThat(answer.header(EchoBackend.SERVED_BY))
        .as(() -> "routed to; haproxy.log:\n" + edge.log() + "\nhaproxy.cfg:\n" + edge.config())
        .isEqualTo(upstream);
  }

  private static GenericKubernetesResource mapping(String yaml) {
    return YAML.unmarshal(yaml, GenericKubernetesResource.class);
  }

  private static Function<ServiceRef, InetSocketAddress> resolver() {
    return ref -> {
      InetSocketAddress upstream = upstreams.get(ref.name());
      if (upstream == null) {
        throw new IllegalArgumentException("no upstream for service " + ref);
      }
      return upstream;
    };
  }

  private static String sayHello(String authority, String session) throws InterruptedException {
    return EdgeGreeter.servedBy(edge.address(), authority, session);
  }

  private static Response get(String host, String path, String... headers) throws IOException {
    return request("GET", host, path, headers);
  }

  // A raw HTTP/1.1 request: the JDK's HttpClient refuses to set Host.
  private static Response request(String method, String host, String path, String... headers) throws IOException {
    StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
    for (String header : headers) {
      request.append(header).append("\r\n");
    }
    request.append("Content-Length: 0\r\nConnection: close\r\n\r\n");
    try (RawHttp http = RawHttp.connect(edge.address())) {
      return http.exchange(request.toString());
    }
  }
}

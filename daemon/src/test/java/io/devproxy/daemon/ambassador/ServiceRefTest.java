package io.devproxy.daemon.ambassador;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceRefTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      orders                                          | -     | orders | -    | -                 | -
      orders:8080                                     | -     | orders | -    | -                 | 8080
      orders.shop                                     | -     | orders | shop | -                 | -
      orders.shop:8080                                | -     | orders | shop | -                 | 8080
      orders.shop.svc:8080                            | -     | orders | shop | svc               | 8080
      orders.shop.svc.cluster.local:8080              | -     | orders | shop | svc.cluster.local | 8080
      orders.shop.svc.cluster.local                   | -     | orders | shop | svc.cluster.local | -
      http://orders                                   | http  | orders | -    | -                 | -
      http://orders:8080                              | http  | orders | -    | -                 | 8080
      https://orders.shop                             | https | orders | shop | -                 | -
      https://orders.shop:8443                        | https | orders | shop | -                 | 8443
      HTTPS://orders.shop.svc.cluster.local:443       | https | orders | shop | svc.cluster.local | 443
      """)
  void parsesEveryServiceForm(String field, String scheme, String name, String namespace, String domain,
      Integer port) {
    ServiceRef ref = ServiceRef.parse(field).orElseThrow();

    assertThat(ref).isEqualTo(new ServiceRef(scheme, name, namespace, domain, port));
    assertThat(ref.toString()).isEqualToIgnoringCase(field);
  }

  @ParameterizedTest
  @ValueSource(strings = {"orders", "orders:8080", "orders.shop", "orders.shop:8080",
      "orders.shop.svc.cluster.local:8080", "http://orders", "https://orders.shop:443",
      "http://orders.shop.svc.cluster.local:80"})
  void routesToOrdersInShopFromAMappingInShop(String field) {
    assertThat(ServiceRef.parse(field).orElseThrow().routesTo("orders", "shop", "shop")).isTrue();
  }

  @Test
  void bareNameMeansTheMappingsOwnNamespace() {
    ServiceRef bare = ServiceRef.parse("orders:80").orElseThrow();

    assertThat(bare.routesTo("orders", "shop", "shop")).isTrue();
    assertThat(bare.routesTo("orders", "shop", "ambassador")).isFalse();
    assertThat(ServiceRef.parse("orders.shop:80").orElseThrow().routesTo("orders", "shop", "ambassador")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"orders.billing", "orders.billing:8080", "orders.billing.svc.cluster.local:80",
      "https://orders.billing", "orders-v2", "orders-v2.shop:8080", "order", "orders2.shop",
      "http://orders-v2.shop.svc.cluster.local"})
  void otherNamespaceOrOtherServiceDoesNotRoute(String field) {
    assertThat(ServiceRef.parse(field).orElseThrow().routesTo("orders", "shop", "shop")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "api.example.com:443", "https://api.example.com", "10.0.0.7:8080",
      "[::1]:8080", "orders:", "orders:http", "orders:70000", "orders..shop", "Orders_1", "orders/api",
      "grpc://orders"})
  void externalHostsAndMalformedFieldsNameNoService(String field) {
    assertThat(ServiceRef.parse(field)).isEmpty();
  }

  @Test
  void defaultPortFollowsSchemeAndTlsOrigination() {
    assertThat(ServiceRef.parse("orders").orElseThrow().effectivePort(false)).isEqualTo(80);
    assertThat(ServiceRef.parse("orders").orElseThrow().effectivePort(true)).isEqualTo(443);
    assertThat(ServiceRef.parse("https://orders").orElseThrow().effectivePort(false)).isEqualTo(443);
    assertThat(ServiceRef.parse("https://orders:8443").orElseThrow().effectivePort(false)).isEqualTo(8443);
  }

  @Test
  void withNameKeepsTheForm() {
    assertThat(ServiceRef.parse("https://orders.shop.svc.cluster.local:8443").orElseThrow()
        .withName("orders-devproxy-alice").toString())
        .isEqualTo("https://orders-devproxy-alice.shop.svc.cluster.local:8443");
    assertThat(ServiceRef.parse("grpc-example:50051").orElseThrow().withName("grpc-example-devproxy-alice")
        .toString()).isEqualTo("grpc-example-devproxy-alice:50051");
  }

  @Test
  void rejectsAPortOutOfRange() {
    assertThatThrownBy(() -> new ServiceRef(null, "orders", null, null, 0))
        .hasMessage("port: 0 (expected: 1-65535)");
  }
}

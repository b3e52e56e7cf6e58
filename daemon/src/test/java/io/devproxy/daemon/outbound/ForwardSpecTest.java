package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ForwardSpecTest {

  private static final String EXPECTED =
      " (expected SERVICE:PORT[:LOCAL_PORT], e.g. orders:8080 or orders.shop:50051:15051)";

  @Test
  void localPortDefaultsToThePort() {
    assertThat(ForwardSpec.parse("orders:8080")).isEqualTo(new ForwardSpec("orders", 8080, 8080));
  }

  @Test
  void serviceNamesMayBeQualified() {
    assertThat(ForwardSpec.parse("orders.shop:50051:15051")).isEqualTo(new ForwardSpec("orders.shop", 50051, 15051));
    assertThat(ForwardSpec.parse("orders.shop.svc.cluster.local:80:0"))
        .isEqualTo(new ForwardSpec("orders.shop.svc.cluster.local", 80, 0));
  }

  @Test
  void printsAsTheUserWouldWriteIt() {
    assertThat(ForwardSpec.parse("orders:8080")).hasToString("orders:8080");
    assertThat(ForwardSpec.parse("orders:8080:8080")).hasToString("orders:8080");
    assertThat(ForwardSpec.parse("orders.shop:8080:9000")).hasToString("orders.shop:8080:9000");
  }

  @Test
  void badSpecsSayWhatIsWrongAndWhatIsExpected() {
    assertInvalid("orders:abc", "PORT must be a number 1-65535");
    assertInvalid("orders:0", "PORT must be a number 1-65535");
    assertInvalid("orders:65536", "PORT must be a number 1-65535");
    assertInvalid("orders:-1", "PORT must be a number 1-65535");
    assertInvalid("orders:", "PORT must be a number 1-65535");
    assertInvalid("orders:8080:x", "LOCAL_PORT must be a number 0-65535 (0 picks a free port)");
    assertInvalid("orders:8080:70000", "LOCAL_PORT must be a number 0-65535 (0 picks a free port)");
    assertInvalid("orders", "needs a SERVICE and a PORT");
    assertInvalid("a:1:2:3", "needs a SERVICE and a PORT");
    assertInvalid(":8080", "SERVICE is missing");
    assertInvalid("orders_v2:8080", "SERVICE 'orders_v2' is not a DNS name like orders or orders.shop");
    assertInvalid("http://orders:8080", "give a service name and port, not a URL");
    assertInvalid("orders..shop:8080", "SERVICE 'orders..shop' is not a DNS name like orders or orders.shop");
  }

  private static void assertInvalid(String spec, String problem) {
    assertThatThrownBy(() -> ForwardSpec.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--forward " + spec + ": " + problem + EXPECTED);
  }
}

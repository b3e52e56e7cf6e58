package io.devproxy.agent.front;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FrontExchangeTest {

  @Test
  void absoluteFormTargetsAreMatchedByTheirPath() {
    assertThat(FrontExchange.originForm("/api/orders?x=1")).isEqualTo("/api/orders?x=1");
    assertThat(FrontExchange.originForm("http://orders:8080/api/orders?x=1")).isEqualTo("/api/orders?x=1");
    assertThat(FrontExchange.originForm("https://orders")).isEqualTo("/");
    assertThat(FrontExchange.originForm("http://orders?x=1")).isEqualTo("/?x=1");
    assertThat(FrontExchange.originForm("*")).isEqualTo("*");
  }
}

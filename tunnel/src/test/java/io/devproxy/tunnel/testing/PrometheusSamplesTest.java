package io.devproxy.tunnel.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrometheusSamplesTest {

  @Test
  void readsSamplesByNameAndLabels() {
    String page = "# HELP x_total Things.\n# TYPE x_total counter\nx_total{route=\"app\"} 3\nx_total{route=\"tunnel\"} 0\n"
        + "# TYPE y gauge\ny 1.5e3\n";

    assertThat(PrometheusSamples.parse(page)).containsExactly(
        org.assertj.core.api.Assertions.entry("x_total{route=\"app\"}", 3.0),
        org.assertj.core.api.Assertions.entry("x_total{route=\"tunnel\"}", 0.0),
        org.assertj.core.api.Assertions.entry("y", 1500.0));
    assertThat(PrometheusSamples.value(page, "y")).isEqualTo(1500.0);
  }

  @Test
  void failsOnMalformedPages() {
    assertThatThrownBy(() -> PrometheusSamples.parse("# TYPE x gauge\nx one\n")).hasMessageContaining("'x one'");
    assertThatThrownBy(() -> PrometheusSamples.parse("x 1\n")).hasMessageContaining("before its # TYPE");
    assertThatThrownBy(() -> PrometheusSamples.parse("# TYPE x gauge\nx 1")).hasMessageContaining("line feed");
    assertThatThrownBy(() -> PrometheusSamples.parse("# TYPE x gauge\nx 1\nx 2\n")).hasMessageContaining("twice");
    assertThatThrownBy(() -> PrometheusSamples.value("# TYPE x gauge\nx 1\n", "y")).hasMessageContaining("no sample y");
  }
}

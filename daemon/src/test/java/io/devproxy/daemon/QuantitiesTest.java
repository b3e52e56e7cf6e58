package io.devproxy.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class QuantitiesTest {

  @Test
  void everyFormTheApiServerAcceptsHasItsValue() {
    assertThat(Quantities.value("50m")).isEqualByComparingTo("0.05");
    assertThat(Quantities.value("1")).isEqualByComparingTo("1");
    assertThat(Quantities.value(".5")).isEqualByComparingTo("0.5");
    assertThat(Quantities.value("2.")).isEqualByComparingTo("2");
    assertThat(Quantities.value("+1.5")).isEqualByComparingTo("1.5");
    assertThat(Quantities.value("128Mi")).isEqualByComparingTo(BigDecimal.valueOf(128L << 20));
    assertThat(Quantities.value("0.25Gi")).isEqualByComparingTo(BigDecimal.valueOf(256L << 20));
    assertThat(Quantities.value("128M")).isEqualByComparingTo("128000000");
    assertThat(Quantities.value("1e3")).isEqualByComparingTo("1000");
    assertThat(Quantities.value("1E-3")).isEqualByComparingTo("0.001");
    assertThat(Quantities.value("1E")).isEqualByComparingTo("1000000000000000000");
  }

  @Test
  void whatTheApiServerRefusesHasNoValue() {
    assertThat(Quantities.value("")).isNull();
    assertThat(Quantities.value("-1")).isNull();
    assertThat(Quantities.value("128MB")).isNull();
    assertThat(Quantities.value("1e")).isNull();
    assertThat(Quantities.value("1.2.3")).isNull();
    assertThat(Quantities.value("one")).isNull();
    assertThat(Quantities.value("1 Gi")).isNull();
  }

  @Test
  void kindsCheckTheirOwnMinimumsAndTheMilliTrap() {
    assertThat(Quantities.CPU.check("1m")).isNull();
    assertThat(Quantities.CPU.check("0.0001")).contains("at least 1m");
    assertThat(Quantities.MEMORY.check("32Mi")).isNull();
    assertThat(Quantities.MEMORY.check("33554431")).contains("at least 32Mi");
    assertThat(Quantities.MEMORY.check("192m")).startsWith("(m is milli");
    assertThat(Quantities.compare("0.5", "500m")).isZero();
    assertThat(Quantities.compare("129Mi", "128Mi")).isPositive();
  }
}

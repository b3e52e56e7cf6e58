package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RendererTest {

  @ParameterizedTest
  @CsvSource({"0, -", "450, 0.45ms", "1250, 1.3ms", "9949, 9.9ms", "12400, 12ms", "1500000, 1500ms"})
  void rttIsShownInMilliseconds(long micros, String shown) {
    assertThat(Renderer.rtt(micros)).isEqualTo(shown);
  }
}

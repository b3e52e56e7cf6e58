package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import org.junit.jupiter.api.Test;

class InterceptModeTest {

  @Test
  void modesParseByTheirNamesInAnyCase() throws Exception {
    assertThat(InterceptMode.parse("sidecar")).isEqualTo(InterceptMode.SIDECAR);
    assertThat(InterceptMode.parse("SWAP")).isEqualTo(InterceptMode.SWAP);
    assertThat(InterceptMode.parse(" Shadow ")).isEqualTo(InterceptMode.SHADOW);
    assertThat(InterceptMode.SHADOW).hasToString("shadow");
  }

  @Test
  void anUnknownModeIsAUserErrorListingTheModes() {
    for (String value : new String[] {"replace", "", null}) {
      DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> InterceptMode.parse(value));
      assertThat(e.category()).isEqualTo(ErrorCategory.USER);
      assertThat(e.getMessage()).isEqualTo("unknown intercept mode '" + value
          + "' (expected: sidecar, swap, shadow)");
    }
  }
}

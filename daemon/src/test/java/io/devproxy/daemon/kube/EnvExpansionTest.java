package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cases of the kubelet's expansion tests (third_party/forked/golang/expansion) that env values meet. */
class EnvExpansionTest {

  private static final Map<String, String> DEFINED = Map.of("VAR_A", "A", "VAR_B", "B", "EMPTY", "");

  private static String expand(String input) {
    return EnvExpansion.expand(input, DEFINED::get);
  }

  @Test
  void definedReferencesAreReplaced() {
    assertThat(expand("$(VAR_A)")).isEqualTo("A");
    assertThat(expand("___$(VAR_A)___$(VAR_B)")).isEqualTo("___A___B");
    assertThat(expand("$(VAR_A)$(VAR_B)")).isEqualTo("AB");
    assertThat(expand("x$(EMPTY)y")).isEqualTo("xy");
  }

  @Test
  void undefinedReferencesStayAsWritten() {
    assertThat(expand("$(VAR_Z) and $(VAR_A)")).isEqualTo("$(VAR_Z) and A");
    assertThat(expand("$()")).isEqualTo("$()");
  }

  @Test
  void aDoubledDollarIsOneLiteralDollar() {
    assertThat(expand("$$(VAR_A)")).isEqualTo("$(VAR_A)");
    assertThat(expand("$$$(VAR_A)")).isEqualTo("$A");
    assertThat(expand("$$$$(VAR_A)")).isEqualTo("$$(VAR_A)");
    assertThat(expand("pa$$word")).isEqualTo("pa$word");
  }

  @Test
  void aDollarThatStartsNoReferenceIsKept() {
    assertThat(expand("$VAR_A")).isEqualTo("$VAR_A");
    assertThat(expand("cost: 5$")).isEqualTo("cost: 5$");
    assertThat(expand("$(VAR_A")).isEqualTo("$(VAR_A");
    assertThat(expand("${VAR_A}")).isEqualTo("${VAR_A}");
  }

  @Test
  void aReferenceEndsAtTheFirstClosingParenthesis() {
    assertThat(expand("$(VAR_A))")).isEqualTo("A)");
    assertThat(expand("$($(VAR_A))")).isEqualTo("$($(VAR_A))");
  }
}

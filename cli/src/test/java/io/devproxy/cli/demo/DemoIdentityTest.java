package io.devproxy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DemoIdentityTest {

  @Test
  void aUsableUserNameIsTheKeyAsIs() {
    assertThat(DemoIdentity.sessionKey("Alice.B_c-1")).isEqualTo("Alice.B_c-1");
  }

  @Test
  void otherCharactersBecomeDashes() {
    assertThat(DemoIdentity.sessionKey("jane doe")).isEqualTo("jane-doe");
    assertThat(DemoIdentity.sessionKey("josé")).isEqualTo("jos");
  }

  @Test
  void aWindowsDomainIsDropped() {
    assertThat(DemoIdentity.sessionKey("CORP\\bob")).isEqualTo("bob");
  }

  @Test
  void theKeyIsAtMost63Characters() {
    assertThat(DemoIdentity.sessionKey("a".repeat(100))).hasSize(63);
  }

  @Test
  void nothingUsableFallsBack() {
    assertThat(DemoIdentity.sessionKey("ñ")).isEqualTo(DemoIdentity.FALLBACK_KEY);
    assertThat(DemoIdentity.sessionKey("")).isEqualTo(DemoIdentity.FALLBACK_KEY);
    assertThat(DemoIdentity.sessionKey(null)).isEqualTo(DemoIdentity.FALLBACK_KEY);
  }

  @Test
  void ownerIsUserAtHostAsTheDaemonNamesIt() {
    assertThat(DemoIdentity.owner()).startsWith(System.getProperty("user.name") + "@").doesNotEndWith("@");
  }
}

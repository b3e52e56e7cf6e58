package io.devproxy.tunnel.pki;

import static io.devproxy.tunnel.pki.TunnelCiphers.AES_128_GCM;
import static io.devproxy.tunnel.pki.TunnelCiphers.CHACHA20_POLY1305;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TunnelCiphersTest {

  @Test
  void aesGcmFirstWithC2() {
    assertThat(TunnelCiphers.forJvmArguments(List.of())).startsWith(AES_128_GCM);
    assertThat(TunnelCiphers.forJvmArguments(List.of("-XX:TieredStopAtLevel=4"))).startsWith(AES_128_GCM);
    assertThat(TunnelCiphers.forJvmArguments(List.of("-XX:TieredStopAtLevel=1", "-XX:-TieredCompilation")))
        .startsWith(AES_128_GCM);
  }

  @Test
  void chaCha20FirstWithoutC2() {
    assertThat(TunnelCiphers.forJvmArguments(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")))
        .startsWith(CHACHA20_POLY1305);
    assertThat(TunnelCiphers.forJvmArguments(List.of("-Xint"))).startsWith(CHACHA20_POLY1305);
  }

  @Test
  void chaCha20FirstWithoutTheIntrinsics() {
    assertThat(TunnelCiphers.forJvmArguments(List.of("-XX:-UseGHASHIntrinsics"))).startsWith(CHACHA20_POLY1305);
  }

  @Test
  void lastFlagWins() {
    assertThat(TunnelCiphers.forJvmArguments(List.of("-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4")))
        .startsWith(AES_128_GCM);
  }

  @Test
  void alwaysAllThreeSuites() {
    assertThat(TunnelCiphers.forJvmArguments(List.of("-XX:TieredStopAtLevel=1")))
        .containsExactlyInAnyOrderElementsOf(TunnelCiphers.forJvmArguments(List.of()));
  }
}

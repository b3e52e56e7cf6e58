package io.devproxy.tunnel.pki;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The TLS 1.3 cipher suites of the agent's tunnel listener, in its order of preference: the JDK's TLS 1.3 server
 * picks the first of its own suites that the client offers, so this order decides for both ends.
 *
 * <p>AES-GCM is only fast in code C2 compiled, which calls the CPU's AES and carry-less multiply instructions;
 * C1 and the interpreter run the JDK's Java GHASH, 128 shifts per 16 bytes. The agent image runs C1 only
 * ({@code -XX:TieredStopAtLevel=1} in images/traffic-agent/jvm.options), where one core encrypted 37 MB/s with
 * AES-GCM and 186 MB/s with ChaCha20-Poly1305 (C2: 3,300 and 340 MB/s), and decrypting every byte the tunnel
 * carried was most of the agent's CPU. So ChaCha20-Poly1305 comes first when this JVM cannot run C2 or was told
 * not to use those instructions, AES-GCM first otherwise.
 */
final class TunnelCiphers {

  static final String AES_128_GCM = "TLS_AES_128_GCM_SHA256";
  static final String AES_256_GCM = "TLS_AES_256_GCM_SHA384";
  static final String CHACHA20_POLY1305 = "TLS_CHACHA20_POLY1305_SHA256";

  private TunnelCiphers() {}

  /** The order for this JVM, from its command-line flags. */
  static List<String> forThisJvm() {
    return forJvmArguments(ManagementFactory.getRuntimeMXBean().getInputArguments());
  }

  /** @param jvmArguments the JVM's flags, as {@code RuntimeMXBean.getInputArguments()} lists them */
  static List<String> forJvmArguments(List<String> jvmArguments) {
    return fastAesGcm(jvmArguments)
        ? List.of(AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305)
        : List.of(CHACHA20_POLY1305, AES_128_GCM, AES_256_GCM);
  }

  /** Whether C2 may compile the JDK's AES-GCM with its intrinsics: the last of repeated flags wins. */
  private static boolean fastAesGcm(List<String> jvmArguments) {
    boolean tiered = true;
    int stopAtLevel = 4;
    boolean interpreted = false;
    boolean intrinsics = true;
    for (String arg : jvmArguments) {
      switch (arg) {
        case "-Xint" -> interpreted = true;
        case "-Xmixed", "-Xcomp" -> interpreted = false;
        case "-XX:+TieredCompilation" -> tiered = true;
        case "-XX:-TieredCompilation" -> tiered = false;
        case "-XX:-UseAESIntrinsics", "-XX:-UseGHASHIntrinsics" -> intrinsics = false;
        default -> {
          if (arg.startsWith("-XX:TieredStopAtLevel=")) {
            try {
              stopAtLevel = Integer.parseInt(arg.substring("-XX:TieredStopAtLevel=".length()).strip());
            } catch (NumberFormatException e) {
              // The JVM would not have started with it.
            }
          }
        }
      }
    }
    boolean c2 = !interpreted && (!tiered || stopAtLevel >= 4);
    return c2 && intrinsics;
  }
}

package io.devproxy.tunnel.pki;

import java.security.cert.X509Certificate;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies client certificates against the client CAs of the {@link CurrentMaterial} at the time of each
 * full handshake. Server side only. Thread-safe.
 *
 * <p>A resumed TLS session is not verified again; {@link AgentTls} turns resumption off.
 */
final class ReloadingTrustManager extends OneSidedTrustManager {

  private final CurrentMaterial material;

  ReloadingTrustManager(CurrentMaterial material) {
    super(true);
    this.material = material;
  }

  @Override
  X509ExtendedTrustManager current() {
    return material.get().clientTrust;
  }

  /**
   * Advertises no CA list: a daemon then sends its certificate whatever its CA, so that a refused developer is
   * refused (and logged) by name in {@link #checkClientTrusted}, instead of the JDK failing early on an empty
   * chain. Which CAs are trusted is decided by the check alone.
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}

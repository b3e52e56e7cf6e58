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

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return material.get().clientCas.clone();
  }
}

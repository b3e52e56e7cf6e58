package io.devproxy.tunnel.pki;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies client certificates against the client CAs of the {@link CurrentMaterial} at the time of each
 * full handshake. Server side only. Thread-safe.
 *
 * <p>A resumed TLS session is not verified again; {@link AgentTls} turns resumption off.
 */
final class ReloadingTrustManager extends X509ExtendedTrustManager {

  private final CurrentMaterial material;

  ReloadingTrustManager(CurrentMaterial material) {
    this.material = material;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    material.get().clientTrust.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    material.get().clientTrust.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    material.get().clientTrust.checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw serverSideOnly();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw serverSideOnly();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw serverSideOnly();
  }

  private static CertificateException serverSideOnly() {
    return new CertificateException("the agent's trust manager verifies clients only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return material.get().clientCas.clone();
  }
}

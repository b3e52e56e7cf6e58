package io.devproxy.tunnel.pki;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager for one side of the tunnel's TLS: it verifies either clients (the agent) or servers (the
 * daemon) against a trust manager it looks up at each handshake, and refuses the other direction.
 */
abstract class OneSidedTrustManager extends X509ExtendedTrustManager {

  private final boolean verifiesClients;

  /** @param verifiesClients true on the agent (verifies daemons), false on the daemon (verifies agents) */
  OneSidedTrustManager(boolean verifiesClients) {
    this.verifiesClients = verifiesClients;
  }

  /** The trust manager to verify this handshake with. */
  abstract X509ExtendedTrustManager current();

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    clientSide().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    clientSide().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    clientSide().checkClientTrusted(chain, authType);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    serverSide().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    serverSide().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    serverSide().checkServerTrusted(chain, authType);
  }

  private X509ExtendedTrustManager clientSide() throws CertificateException {
    if (!verifiesClients) {
      throw new CertificateException("the daemon's trust manager verifies agents only");
    }
    return current();
  }

  private X509ExtendedTrustManager serverSide() throws CertificateException {
    if (verifiesClients) {
      throw new CertificateException("the agent's trust manager verifies clients only");
    }
    return current();
  }
}

package io.devproxy.tunnel.pki;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager for one side of the tunnel's TLS: it verifies either clients (the agent) or servers (the
 * daemon) against a trust manager it looks up at each handshake, and refuses the other direction.
 */
abstract class OneSidedTrustManager extends X509ExtendedTrustManager {

  private static final Logger logger = Logger.getLogger(OneSidedTrustManager.class.getName());
  private static final int MAX_REMEMBERED_REFUSALS = 1000;

  private final boolean verifiesClients;
  private final Set<String> refusedOnce = ConcurrentHashMap.newKeySet();

  /** @param verifiesClients true on the agent (verifies daemons), false on the daemon (verifies agents) */
  OneSidedTrustManager(boolean verifiesClients) {
    this.verifiesClients = verifiesClients;
  }

  /** The trust manager to verify this handshake with. */
  abstract X509ExtendedTrustManager current();

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      clientSide().checkClientTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw refused(chain, engine == null ? null : engine.getPeerHost(), e);
    }
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    try {
      clientSide().checkClientTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      throw refused(chain, null, e);
    }
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    try {
      clientSide().checkClientTrusted(chain, authType);
    } catch (CertificateException e) {
      throw refused(chain, null, e);
    }
  }

  /**
   * Logs a refused client certificate once per subject and issuer (a refused daemon retries every few
   * seconds; the log says it once), and returns the exception to throw.
   */
  private CertificateException refused(X509Certificate[] chain, String peerHost, CertificateException e) {
    // A daemon whose CA is not listed usually sends no certificate at all (TLS offers only listed CAs).
    String who = chain != null && chain.length > 0
        ? chain[0].getSubjectX500Principal().getName() + " issued by " + chain[0].getIssuerX500Principal().getName()
        : "no certificate from a trusted CA" + (peerHost != null ? ", from " + peerHost : "");
    if (refusedOnce.size() < MAX_REMEMBERED_REFUSALS && refusedOnce.add(who)) {
      logger.warning(() -> "refused a daemon (" + who + "): not signed by a CA in clients-ca.crt; its developer"
          + " runs 'devproxy certs agent --out DIR' on this TLS directory to be let in");
      logger.fine(() -> "refusal cause: " + e);
    }
    return e;
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

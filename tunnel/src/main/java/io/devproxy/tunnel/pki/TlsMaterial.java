package io.devproxy.tunnel.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One consistent set of an agent's TLS material: the key and chain it presents and the client CAs it
 * trusts, with the JDK trust manager for them. Immutable.
 */
final class TlsMaterial {

  /** Names this material in the key manager, which may be asked for it after a reload replaced it. */
  final String alias;
  final PrivateKey key;
  final X509Certificate[] chain;
  final X509Certificate[] clientCas;
  final X509ExtendedTrustManager clientTrust;

  private TlsMaterial(String alias, PrivateKey key, List<X509Certificate> chain,
      List<X509Certificate> clientCas, X509ExtendedTrustManager clientTrust) {
    this.alias = alias;
    this.key = key;
    this.chain = chain.toArray(new X509Certificate[0]);
    this.clientCas = clientCas.toArray(new X509Certificate[0]);
    this.clientTrust = clientTrust;
  }

  /**
   * @param chain the server certificate first; its key must be {@code key} (not checked here)
   * @param clientCas trust anchors for client certificates, at least one
   */
  static TlsMaterial of(String alias, PrivateKey key, List<X509Certificate> chain,
      List<X509Certificate> clientCas) throws GeneralSecurityException {
    return new TlsMaterial(alias, key, chain, clientCas, trustManager(clientCas));
  }

  /** The JDK's PKIX trust manager with {@code cas} as its trust anchors. */
  static X509ExtendedTrustManager trustManager(List<X509Certificate> cas)
      throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot create an empty key store", e);
    }
    for (int i = 0; i < cas.size(); i++) {
      store.setCertificateEntry("client-ca-" + i, cas.get(i));
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509ExtendedTrustManager) {
        return (X509ExtendedTrustManager) manager;
      }
    }
    throw new GeneralSecurityException("the JVM's " + factory.getAlgorithm()
        + " TrustManagerFactory made no X509ExtendedTrustManager");
  }
}

package io.devproxy.tunnel.pki;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the server certificate of the {@link CurrentMaterial} at the time of each handshake. Server
 * side only: it offers no client certificate. Thread-safe.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {

  private final CurrentMaterial material;

  ReloadingKeyManager(CurrentMaterial material) {
    this.material = material;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return serverAlias(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return serverAlias(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = serverAlias(keyType);
    return alias == null ? null : new String[] {alias};
  }

  // The JDK asks once per key type it could use ("EC", "RSA", "RSASSA-PSS"); issuers are ignored
  // because the agent has exactly one certificate.
  private String serverAlias(String keyType) {
    TlsMaterial current = material.get();
    return current.key.getAlgorithm().equals(keyType) ? current.alias : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    TlsMaterial chosen = material.byAlias(alias);
    return chosen == null ? null : chosen.chain.clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    TlsMaterial chosen = material.byAlias(alias);
    return chosen == null ? null : chosen.key;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }
}

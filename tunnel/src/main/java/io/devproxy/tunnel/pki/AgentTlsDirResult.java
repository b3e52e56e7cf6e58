package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

import java.security.cert.X509Certificate;

/**
 * What {@link UserPki#writeAgentTlsDir} did to an agent's TLS directory.
 *
 * @param serverCertificate the server certificate the directory holds now
 * @param issuer the CA certificate that issued it, which the developer's daemon trusts now
 * @param kept whether the server certificate that was there stays, issued by whichever developer wrote it
 * @param replacedBecause why the server certificate that was there was replaced, for people; null if it
 *     was kept or there was none
 * @param issuerNewlyTrusted whether this write added {@code issuer} to the developer's trusted agent CAs
 */
public record AgentTlsDirResult(X509Certificate serverCertificate, X509Certificate issuer,
    boolean kept, String replacedBecause, boolean issuerNewlyTrusted) {

  public AgentTlsDirResult {
    requireNonNull(serverCertificate, "serverCertificate");
    requireNonNull(issuer, "issuer");
  }
}

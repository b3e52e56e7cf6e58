package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate fresh from a {@link CertificateAuthority}, with its private key and the CA certificate that
 * signed it.
 *
 * <p>{@link #toString()} leaves the private key out, so an instance can be logged.
 *
 * @param certificate the issued certificate
 * @param privateKey the private key of {@code certificate}; keep it out of logs and world-readable files
 * @param issuer the certificate of the CA that signed {@code certificate}
 */
public record IssuedCertificate(
    X509Certificate certificate, PrivateKey privateKey, X509Certificate issuer) {

  public IssuedCertificate {
    requireNonNull(certificate, "certificate");
    requireNonNull(privateKey, "privateKey");
    requireNonNull(issuer, "issuer");
  }

  /** The chain a TLS peer presents: {@link #certificate()}, then {@link #issuer()}. */
  public List<X509Certificate> chain() {
    return List.of(certificate, issuer);
  }

  @Override
  public String toString() {
    return "IssuedCertificate{subject=" + certificate.getSubjectX500Principal()
        + ", serial=" + certificate.getSerialNumber().toString(16)
        + ", notAfter=" + certificate.getNotAfter().toInstant()
        + ", issuer=" + issuer.getSubjectX500Principal() + '}';
  }
}

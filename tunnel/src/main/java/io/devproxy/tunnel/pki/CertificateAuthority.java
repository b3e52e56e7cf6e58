package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A certificate authority kept in a directory: {@code ca.crt} (PEM, 0644) and {@code ca.key} (PKCS#8 PEM,
 * 0600). It issues server certificates for traffic agents and client certificates for daemons.
 *
 * <p>New keys are EC P-256 and certificates are signed with SHA256withECDSA. The CA certificate is valid
 * for 10 years and has {@code basicConstraints CA:true} (critical), {@code keyUsage keyCertSign, cRLSign}
 * and a subject key identifier. Issued certificates get a random positive 128-bit serial, a {@code
 * notBefore} one hour in the past (for clocks that run behind) and never outlive the CA.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CertificateAuthority {

  /** The CA certificate's file name in the CA directory. */
  public static final String CERTIFICATE_FILE = "ca.crt";
  /** The CA private key's file name in the CA directory. */
  public static final String KEY_FILE = "ca.key";

  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration BACKDATE = Duration.ofHours(1);
  private static final String LOCK_FILE = ".ca.lock";

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final Path certificateFile;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(
      X509Certificate certificate, PrivateKey privateKey, Path certificateFile, Clock clock) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.certificateFile = certificateFile;
    this.clock = clock;
  }

  /**
   * Loads the CA in {@code dir}, or creates one named {@code commonName} when {@code dir} holds neither
   * {@code ca.crt} nor {@code ca.key}. Creates {@code dir} with mode 0700 if absent. An existing CA keeps
   * its name. Safe to call from several processes at once: exactly one creates the CA.
   *
   * @throws PkiFileException if only one of the two files exists, if they do not belong together, or if
   *     the CA certificate is not a CA or has expired
   */
  public static CertificateAuthority loadOrCreate(Path dir, String commonName) throws IOException {
    return loadOrCreate(dir, commonName, Clock.systemUTC());
  }

  static CertificateAuthority loadOrCreate(Path dir, String commonName, Clock clock)
      throws IOException {
    requireNonNull(dir, "dir");
    requireNonBlank(commonName, "commonName");
    requireNonNull(clock, "clock");
    SecureFiles.createPrivateDirectories(dir);
    Path certificateFile = dir.resolve(CERTIFICATE_FILE);
    Path keyFile = dir.resolve(KEY_FILE);
    return SecureFiles.withLock(dir.resolve(LOCK_FILE), () -> {
      boolean haveCertificate = Files.exists(certificateFile);
      boolean haveKey = Files.exists(keyFile);
      if (haveCertificate && haveKey) {
        return load(certificateFile, keyFile, clock);
      }
      if (haveCertificate) {
        throw new PkiFileException(keyFile, "does not exist, but " + CERTIFICATE_FILE + " does;"
            + " restore it, or delete " + certificateFile + " to create a new CA"
            + " (every agent then needs new certificates)");
      }
      if (haveKey) {
        throw new PkiFileException(certificateFile, "does not exist, but " + KEY_FILE + " does;"
            + " restore it, or delete " + keyFile + " to create a new CA"
            + " (every agent then needs new certificates)");
      }
      CertificateAuthority created = create(commonName, certificateFile, clock);
      // Key first: a crash in between leaves a key without a certificate, which load() reports.
      Pem.writePrivateKey(keyFile, created.privateKey);
      Pem.writeCertificates(certificateFile, List.of(created.certificate));
      return created;
    });
  }

  private static CertificateAuthority load(Path certificateFile, Path keyFile, Clock clock)
      throws IOException {
    X509Certificate certificate = Pem.readCertificates(certificateFile).get(0);
    PrivateKey key = Pem.readPrivateKey(keyFile);
    String startOver = "; delete " + certificateFile + " and " + keyFile + " to create a new CA"
        + " (every agent then needs new certificates)";
    if (certificate.getBasicConstraints() < 0) {
      throw new PkiFileException(certificateFile, "is not a CA certificate" + startOver);
    }
    if (!Keys.matches(key, certificate.getPublicKey())) {
      throw new PkiFileException(keyFile, "is not the key of " + certificateFile + startOver);
    }
    if (certificate.getNotAfter().toInstant().isBefore(clock.instant())) {
      throw new PkiFileException(certificateFile,
          "expired on " + certificate.getNotAfter().toInstant() + startOver);
    }
    return new CertificateAuthority(certificate, key, certificateFile, clock);
  }

  private static CertificateAuthority create(String commonName, Path certificateFile, Clock clock) {
    KeyPair keyPair = Keys.generateEcP256();
    Instant now = clock.instant();
    X500Name name = name(commonName);
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
        randomSerial(new SecureRandom()), Date.from(now.minus(BACKDATE)),
        Date.from(now.plus(CA_VALIDITY)), name, keyPair.getPublic());
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false,
              extensions.createSubjectKeyIdentifier(keyPair.getPublic()));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the CA certificate " + name, e);
    }
    X509Certificate certificate = sign(builder, keyPair.getPrivate());
    return new CertificateAuthority(certificate, keyPair.getPrivate(), certificateFile, clock);
  }

  /** The CA certificate, the trust anchor for certificates this CA issues. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** {@code ca.crt} in the CA directory. */
  public Path certificateFile() {
    return certificateFile;
  }

  /**
   * Issues a TLS server certificate (extended key usage serverAuth) with a new EC P-256 key.
   *
   * @param commonName the subject's CN
   * @param dnsNames DNS subject alternative names, e.g. {@code devproxy-agent}; no IP addresses
   * @param ipAddresses IP subject alternative names as IPv4 or IPv6 literals, e.g. {@code ::1}
   * @param validity how long after now the certificate is valid, capped at the CA's expiry
   * @throws IllegalArgumentException if both lists are empty, a DNS name is blank or an IP address, or an
   *     IP address is not a literal
   */
  public IssuedCertificate issueServer(
      String commonName, List<String> dnsNames, List<String> ipAddresses, Duration validity) {
    requireNonBlank(commonName, "commonName");
    GeneralNames subjectAltNames = subjectAltNames(dnsNames, ipAddresses);
    return issue(commonName, validity, KeyPurposeId.id_kp_serverAuth, subjectAltNames);
  }

  /**
   * Issues a TLS client certificate (extended key usage clientAuth) with a new EC P-256 key.
   *
   * @param commonName the subject's CN, the client's identity, e.g. {@code alice@laptop}
   * @param validity how long after now the certificate is valid, capped at the CA's expiry
   */
  public IssuedCertificate issueClient(String commonName, Duration validity) {
    requireNonBlank(commonName, "commonName");
    return issue(commonName, validity, KeyPurposeId.id_kp_clientAuth, null);
  }

  private IssuedCertificate issue(String commonName, Duration validity, KeyPurposeId purpose,
      GeneralNames subjectAltNames) {
    requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
    }
    KeyPair keyPair = Keys.generateEcP256();
    Instant now = clock.instant();
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
      notAfter = certificate.getNotAfter().toInstant();
    }
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate,
        randomSerial(random), Date.from(now.minus(BACKDATE)), Date.from(notAfter),
        name(commonName), keyPair.getPublic());
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
          .addExtension(Extension.subjectKeyIdentifier, false,
              extensions.createSubjectKeyIdentifier(keyPair.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false,
              extensions.createAuthorityKeyIdentifier(certificate));
      if (subjectAltNames != null) {
        builder.addExtension(Extension.subjectAlternativeName, false, subjectAltNames);
      }
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a certificate for " + commonName, e);
    }
    return new IssuedCertificate(sign(builder, privateKey), keyPair.getPrivate(), certificate);
  }

  /**
   * The subject alternative names for {@code dnsNames} and {@code ipAddresses}.
   *
   * @throws IllegalArgumentException as {@link #issueServer} does
   */
  static GeneralNames subjectAltNames(List<String> dnsNames, List<String> ipAddresses) {
    requireNonNull(dnsNames, "dnsNames");
    requireNonNull(ipAddresses, "ipAddresses");
    List<GeneralName> names = new ArrayList<>();
    for (String dnsName : new LinkedHashSet<>(dnsNames)) {
      requireNonBlank(dnsName, "dnsNames element");
      if (IPAddress.isValid(dnsName) || dnsName.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("dnsNames: " + dnsName
            + " (expected: a DNS name such as devproxy-agent; pass IP addresses in ipAddresses)");
      }
      names.add(new GeneralName(GeneralName.dNSName, dnsName));
    }
    Set<String> seen = new LinkedHashSet<>(ipAddresses);
    for (String ipAddress : seen) {
      if (ipAddress == null || !IPAddress.isValid(ipAddress)) {
        throw new IllegalArgumentException(
            "ipAddresses: " + ipAddress + " (expected: an IPv4 or IPv6 literal such as 127.0.0.1)");
      }
      names.add(new GeneralName(GeneralName.iPAddress, ipAddress));
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException(
          "dnsNames and ipAddresses: both empty (expected: at least one name to verify)");
    }
    return new GeneralNames(names.toArray(new GeneralName[0]));
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey) {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(Keys.signatureAlgorithm(signingKey))
              .build(signingKey)));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a certificate with a "
          + signingKey.getAlgorithm() + " key", e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "devproxy")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  /** A positive serial of 128 random bits (RFC 5280 section 4.1.2.2 allows up to 20 octets). */
  private static BigInteger randomSerial(SecureRandom random) {
    BigInteger serial;
    do {
      serial = new BigInteger(128, random);
    } while (serial.signum() == 0);
    return serial;
  }

  private static String requireNonBlank(String value, String name) {
    requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + ": '" + value + "' (expected: not blank)");
    }
    return value;
  }

  @Override
  public String toString() {
    return "CertificateAuthority{" + certificate.getSubjectX500Principal() + ", file="
        + certificateFile + '}';
  }
}

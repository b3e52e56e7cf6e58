package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * A developer's tunnel identity, kept in one directory (mode 0700): a CA ({@code ca.crt}, {@code ca.key})
 * named {@code "devproxy CA <owner>"}, and a client certificate ({@code client.crt}, {@code client.key})
 * whose CN is the owner, e.g. {@code alice@laptop}. Key files are mode 0600.
 *
 * <p>The CA issues the server certificate of every agent the developer intercepts through
 * ({@link #writeAgentTlsDir}); the daemon presents the client certificate to agents and accepts an agent
 * whose certificate chains to the CA ({@link #clientContext()}).
 *
 * <p>Immutable and thread-safe; {@link #loadOrCreate} may run in several processes at once.
 */
public final class UserPki {

  /** The client certificate's file name in the PKI directory. */
  public static final String CLIENT_CERT_FILE = "client.crt";
  /** The client key's file name in the PKI directory. */
  public static final String CLIENT_KEY_FILE = "client.key";

  /** How long a client certificate is valid. */
  static final Duration CLIENT_VALIDITY = Duration.ofDays(365);
  /** A client certificate closer than this to its expiry is issued again. */
  static final Duration RENEW_BEFORE = Duration.ofDays(30);
  /** How long an agent's server certificate is valid. */
  static final Duration SERVER_VALIDITY = Duration.ofDays(365);

  private static final Logger logger = Logger.getLogger(UserPki.class.getName());
  private static final String LOCK_FILE = ".client.lock";

  private final Path dir;
  private final String owner;
  private final CertificateAuthority ca;
  private final X509Certificate clientCertificate;

  private UserPki(Path dir, String owner, CertificateAuthority ca, X509Certificate clientCertificate) {
    this.dir = dir;
    this.owner = owner;
    this.ca = ca;
    this.clientCertificate = clientCertificate;
  }

  /**
   * Loads the identity in {@code pkiDir}, creating what is missing: the directory (0700), the CA, and the
   * client certificate. The client certificate is issued again when it is missing, unreadable, not
   * issued by the CA, for another owner, expired, or within 30 days of expiry.
   *
   * @param owner who the developer is, as agents and {@code devproxy status} show it: {@code user@host}
   * @throws PkiFileException if the CA files are damaged (see {@link CertificateAuthority#loadOrCreate})
   */
  public static UserPki loadOrCreate(Path pkiDir, String owner) throws IOException {
    return loadOrCreate(pkiDir, owner, Clock.systemUTC());
  }

  static UserPki loadOrCreate(Path pkiDir, String owner, Clock clock) throws IOException {
    requireNonNull(pkiDir, "pkiDir");
    requireNonNull(owner, "owner");
    if (owner.isBlank()) {
      throw new IllegalArgumentException("owner: '" + owner + "' (expected: user@host)");
    }
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(pkiDir, "devproxy CA " + owner, clock);
    Path certFile = pkiDir.resolve(CLIENT_CERT_FILE);
    Path keyFile = pkiDir.resolve(CLIENT_KEY_FILE);
    X509Certificate certificate = SecureFiles.withLock(pkiDir.resolve(LOCK_FILE), () -> {
      String reason = reasonToIssue(certFile, keyFile, ca, owner, clock.instant());
      if (reason == null) {
        return Pem.readCertificates(certFile).get(0);
      }
      logger.log(Level.INFO, "Issuing a client certificate for {0} in {1}: {2}",
          new Object[] {owner, certFile, reason});
      IssuedCertificate issued = ca.issueClient(owner, CLIENT_VALIDITY);
      // Key first; a crash in between leaves a pair that does not match, issued again next time.
      Pem.writePrivateKey(keyFile, issued.privateKey());
      Pem.writeCertificates(certFile, issued.chain());
      return issued.certificate();
    });
    return new UserPki(pkiDir, owner, ca, certificate);
  }

  /** Why the client certificate must be issued (again), or null if it is fine. */
  private static String reasonToIssue(
      Path certFile, Path keyFile, CertificateAuthority ca, String owner, Instant now) {
    if (!Files.exists(certFile) || !Files.exists(keyFile)) {
      return "there is none";
    }
    X509Certificate certificate;
    PrivateKey key;
    try {
      certificate = Pem.readCertificates(certFile).get(0);
      key = Pem.readPrivateKey(keyFile);
    } catch (IOException e) {
      return e.getMessage();
    }
    if (!Keys.matches(key, certificate.getPublicKey())) {
      return keyFile + " is not the key of " + certFile;
    }
    try {
      certificate.verify(ca.certificate().getPublicKey());
    } catch (GeneralSecurityException e) {
      return "it was not issued by " + ca.certificate().getSubjectX500Principal();
    }
    if (!owner.equals(commonName(certificate))) {
      return "it was issued to " + commonName(certificate);
    }
    Instant notAfter = certificate.getNotAfter().toInstant();
    if (notAfter.isBefore(now.plus(RENEW_BEFORE))) {
      return notAfter.isBefore(now) ? "it expired on " + notAfter : "it expires on " + notAfter;
    }
    return null;
  }

  private static String commonName(X509Certificate certificate) {
    RDN[] rdns = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded())
        .getRDNs(BCStyle.CN);
    if (rdns.length == 0 || !(rdns[0].getFirst().getValue() instanceof ASN1String)) {
      return null;
    }
    return ((ASN1String) rdns[0].getFirst().getValue()).getString();
  }

  /** The directory holding this identity. */
  public Path directory() {
    return dir;
  }

  /** Who this identity belongs to, e.g. {@code alice@laptop}. */
  public String owner() {
    return owner;
  }

  /** The developer's CA. */
  public CertificateAuthority ca() {
    return ca;
  }

  /** {@code ca.crt}: the CA certificate, which agents trust for this developer's client certificate. */
  public Path caCertificateFile() {
    return ca.certificateFile();
  }

  /** The client certificate the daemon presents to agents. */
  public X509Certificate clientCertificate() {
    return clientCertificate;
  }

  /** {@code client.crt}: the client certificate followed by the CA certificate. */
  public Path clientCertificateFile() {
    return dir.resolve(CLIENT_CERT_FILE);
  }

  /** {@code client.key}: the client certificate's private key, mode 0600. */
  public Path clientKeyFile() {
    return dir.resolve(CLIENT_KEY_FILE);
  }

  /**
   * The daemon's TLS context for agents whose server certificate this developer's CA issued; see
   * {@link AgentTls#clientContext}.
   */
  public SslContext clientContext() throws IOException {
    return AgentTls.clientContext(clientCertificateFile(), clientKeyFile(), caCertificateFile());
  }

  /**
   * Writes the files an agent reads with {@code --tls-dir} into {@code outDir} (created 0700 if absent):
   * <ul>
   *   <li>{@value AgentTls#SERVER_CERT_FILE}: a new server certificate from this developer's CA, then the
   *       CA certificate. Its names are {@value AgentTls#AGENT_AUTHORITY}, {@code localhost},
   *       {@code 127.0.0.1}, {@code ::1} and the extras. It replaces the certificate there, so daemons
   *       of other developers sharing the agent must trust this CA to verify it;
   *   <li>{@value AgentTls#SERVER_KEY_FILE}: its private key, mode 0600;
   *   <li>{@value AgentTls#CLIENTS_CA_FILE}: the CAs the agent accepts client certificates from. This
   *       developer's CA is added to the CAs already there, which stay.
   * </ul>
   * Each file is replaced atomically; an agent polling the directory may see the new key before the new
   * certificate, rejects that pair and picks up the complete set at its next poll.
   *
   * @param extraDnsNames more DNS names for the server certificate, e.g. the Service's name
   * @param extraIps more IP address literals for the server certificate
   * @throws PkiFileException if an existing {@value AgentTls#CLIENTS_CA_FILE} cannot be read
   * @throws IllegalArgumentException if an extra name is not a DNS name or IP literal
   */
  public void writeAgentTlsDir(Path outDir, List<String> extraDnsNames, List<String> extraIps)
      throws IOException {
    requireNonNull(outDir, "outDir");
    List<String> dnsNames = new ArrayList<>(List.of(AgentTls.AGENT_AUTHORITY, "localhost"));
    dnsNames.addAll(requireNonNull(extraDnsNames, "extraDnsNames"));
    List<String> ips = new ArrayList<>(List.of("127.0.0.1", "::1"));
    ips.addAll(requireNonNull(extraIps, "extraIps"));
    IssuedCertificate server =
        ca.issueServer(AgentTls.AGENT_AUTHORITY, dnsNames, ips, SERVER_VALIDITY);

    SecureFiles.createPrivateDirectories(outDir);
    Path clientsCaFile = outDir.resolve(AgentTls.CLIENTS_CA_FILE);
    List<X509Certificate> clientCas = new ArrayList<>();
    if (Files.exists(clientsCaFile)) {
      try {
        clientCas.addAll(Pem.readCertificates(clientsCaFile));
      } catch (PkiFileException e) {
        throw new PkiFileException(clientsCaFile, e.problem() + "; it lists the CAs of every developer"
            + " who may use this agent: repair it, or delete it to allow only " + owner, e.getCause());
      }
    }
    if (!clientCas.contains(ca.certificate())) {
      clientCas.add(ca.certificate());
    }
    Pem.writeCertificates(clientsCaFile, clientCas);
    Pem.writePrivateKey(outDir.resolve(AgentTls.SERVER_KEY_FILE), server.privateKey());
    Pem.writeCertificates(outDir.resolve(AgentTls.SERVER_CERT_FILE), server.chain());
  }

  @Override
  public String toString() {
    return "UserPki{" + owner + ", " + dir + '}';
  }
}

package io.devproxy.tunnel.pki;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
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
 * <p>The CA issues the server certificate of every agent the developer sets up first
 * ({@link #writeAgentTlsDir}). An agent set up by another developer keeps the certificate their CA issued;
 * its issuer goes into {@code trusted-agent-cas.crt} ({@link #trustAgentCa}). The daemon presents the
 * client certificate to agents and accepts an agent whose certificate chains to the CA or to a trusted
 * agent CA, both in {@code agent-trust.crt} ({@link #agentTrustFile()}, {@link #clientContext()}).
 *
 * <p>Immutable and thread-safe; {@link #loadOrCreate} may run in several processes at once.
 */
public final class UserPki {

  /** The client certificate's file name in the PKI directory. */
  public static final String CLIENT_CERT_FILE = "client.crt";
  /** The client key's file name in the PKI directory. */
  public static final String CLIENT_KEY_FILE = "client.key";
  /** The file name of the other developers' CAs this developer trusts to issue agent certificates. */
  public static final String TRUSTED_AGENT_CAS_FILE = "trusted-agent-cas.crt";
  /** The file name of the bundle the daemon verifies agents with: the own CA, then the trusted agent CAs. */
  public static final String AGENT_TRUST_FILE = "agent-trust.crt";

  /** How long a client certificate is valid. */
  static final Duration CLIENT_VALIDITY = Duration.ofDays(365);
  /** A client certificate closer than this to its expiry is issued again. */
  static final Duration RENEW_BEFORE = Duration.ofDays(30);
  /** How long an agent's server certificate is valid. */
  static final Duration SERVER_VALIDITY = Duration.ofDays(365);

  private static final Logger logger = Logger.getLogger(UserPki.class.getName());
  private static final String LOCK_FILE = ".client.lock";
  private static final String TRUST_LOCK_FILE = ".trust.lock";
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final int DNS_NAME = 2;
  private static final int IP_ADDRESS = 7;

  private final Path dir;
  private final String owner;
  private final CertificateAuthority ca;
  private final X509Certificate clientCertificate;
  private final Clock clock;

  private UserPki(Path dir, String owner, CertificateAuthority ca, X509Certificate clientCertificate,
      Clock clock) {
    this.dir = dir;
    this.owner = owner;
    this.ca = ca;
    this.clientCertificate = clientCertificate;
    this.clock = clock;
  }

  /**
   * {@code user@host}: who this machine's user is, as agents and {@code devproxy status} show them, and the
   * common name of their client certificate. The CLI and the daemon must agree on it, since a different owner
   * makes {@link #loadOrCreate} issue the client certificate again.
   */
  public static String defaultOwner() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    return System.getProperty("user.name") + "@" + host;
  }

  /**
   * Loads the identity in {@code pkiDir}, creating what is missing: the directory (0700), the CA, the
   * client certificate and {@value #AGENT_TRUST_FILE}. The client certificate is issued again when it is
   * missing, unreadable, not issued by the CA, for another owner, expired, or within 30 days of expiry.
   * {@value #AGENT_TRUST_FILE} is written again when it is not the CA followed by the CAs in
   * {@value #TRUSTED_AGENT_CAS_FILE}.
   *
   * @param owner who the developer is, as agents and {@code devproxy status} show it: {@code user@host}
   * @throws PkiFileException if the CA files or {@value #TRUSTED_AGENT_CAS_FILE} are damaged (see
   *     {@link CertificateAuthority#loadOrCreate})
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
    UserPki pki = new UserPki(pkiDir, owner, ca, certificate, clock);
    SecureFiles.withLock(pkiDir.resolve(TRUST_LOCK_FILE), () -> {
      pki.writeAgentTrust(pki.readTrustedAgentCas());
      return null;
    });
    return pki;
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
   * {@value #TRUSTED_AGENT_CAS_FILE}: the CAs of other developers whose agent certificates this developer
   * accepts, PEM; absent until the first {@link #trustAgentCa}.
   */
  public Path trustedAgentCasFile() {
    return dir.resolve(TRUSTED_AGENT_CAS_FILE);
  }

  /**
   * {@value #AGENT_TRUST_FILE}: the CAs the daemon accepts an agent's server certificate from, for
   * {@link AgentTls#clientContext}: {@code ca.crt}, then the CAs in {@value #TRUSTED_AGENT_CAS_FILE}.
   * Written by {@link #loadOrCreate} and again by each {@link #trustAgentCa} that adds a CA.
   */
  public Path agentTrustFile() {
    return dir.resolve(AGENT_TRUST_FILE);
  }

  /**
   * The daemon's TLS context for agents whose server certificate this developer's CA or a trusted agent CA
   * issued; see {@link AgentTls#clientContext}, which reads {@link #agentTrustFile()} again when it changes.
   */
  public SslContext clientContext() throws IOException {
    return AgentTls.clientContext(clientCertificateFile(), clientKeyFile(), agentTrustFile());
  }

  /**
   * Trusts {@code agentCa} to issue agents' server certificates from now on: adds it to
   * {@value #TRUSTED_AGENT_CAS_FILE} unless it is there or is this developer's own CA, and writes
   * {@value #AGENT_TRUST_FILE} again. A running daemon picks the change up at its next handshake. Safe to
   * call from several processes at once.
   *
   * <p>Every agent presenting a certificate {@code agentCa} issued for {@value AgentTls#AGENT_AUTHORITY} is
   * then accepted, whichever address it is dialled at: trust only CAs of developers you share agents with.
   *
   * @return whether {@code agentCa} was added, false if it was trusted already
   * @throws IllegalArgumentException if {@code agentCa} is not a CA certificate
   * @throws PkiFileException if {@value #TRUSTED_AGENT_CAS_FILE} is damaged
   */
  public boolean trustAgentCa(X509Certificate agentCa) throws IOException {
    requireNonNull(agentCa, "agentCa");
    if (agentCa.getBasicConstraints() < 0) {
      throw new IllegalArgumentException(
          "agentCa: " + agentCa.getSubjectX500Principal() + " (expected: a CA certificate)");
    }
    if (agentCa.equals(ca.certificate())) {
      return false;
    }
    return SecureFiles.withLock(dir.resolve(TRUST_LOCK_FILE), () -> {
      List<X509Certificate> trusted = readTrustedAgentCas();
      if (trusted.contains(agentCa)) {
        writeAgentTrust(trusted);
        return false;
      }
      trusted.add(agentCa);
      Pem.writeCertificates(trustedAgentCasFile(), trusted);
      writeAgentTrust(trusted);
      logger.log(Level.INFO, "Trusting agent certificates issued by {0} ({1})",
          new Object[] {agentCa.getSubjectX500Principal(), trustedAgentCasFile()});
      return true;
    });
  }

  /** The CAs in {@value #TRUSTED_AGENT_CAS_FILE}, none if it is absent. The caller holds the trust lock. */
  private List<X509Certificate> readTrustedAgentCas() throws IOException {
    Path file = trustedAgentCasFile();
    if (!Files.exists(file)) {
      return new ArrayList<>();
    }
    try {
      return new ArrayList<>(Pem.readCertificates(file));
    } catch (PkiFileException e) {
      throw new PkiFileException(file, e.problem() + "; it lists the CAs of other developers whose"
          + " agents you use: repair it, or delete it and run 'devproxy certs agent --out DIR' on those"
          + " agents' TLS directories again", e.getCause());
    }
  }

  /** Writes {@value #AGENT_TRUST_FILE} if it is not the CA then {@code trusted}. Holds the trust lock. */
  private void writeAgentTrust(List<X509Certificate> trusted) throws IOException {
    List<X509Certificate> bundle = new ArrayList<>(List.of(ca.certificate()));
    for (X509Certificate agentCa : trusted) {
      if (!bundle.contains(agentCa)) {
        bundle.add(agentCa);
      }
    }
    byte[] content = Pem.encodeCertificates(bundle).getBytes(US_ASCII);
    Path file = agentTrustFile();
    if (!Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), content)) {
      SecureFiles.writeAtomically(file, content, SecureFiles.PUBLIC_FILE);
    }
  }

  /**
   * Writes the files an agent reads with {@code --tls-dir} into {@code outDir} (created 0700 if absent), so
   * that this developer may use the agent alongside the developers who wrote it before:
   * <ul>
   *   <li>{@value AgentTls#SERVER_CERT_FILE} and {@value AgentTls#SERVER_KEY_FILE}: kept if they are
   *       there and usable: the key is the certificate's, the chain names an issuing CA, the certificate
   *       is a server certificate for {@value AgentTls#AGENT_AUTHORITY} and the extras, and it is valid
   *       for more than 30 days. Replacing it would lock out every daemon that trusts only its issuer.
   *       Otherwise a new server certificate from this developer's CA, then the CA certificate, for
   *       {@value AgentTls#AGENT_AUTHORITY}, {@code localhost}, {@code 127.0.0.1}, {@code ::1} and the
   *       extras, and its key (mode 0600);
   *   <li>{@value AgentTls#CLIENTS_CA_FILE}: the CAs the agent accepts client certificates from. This
   *       developer's CA is added to the CAs already there, which stay.
   * </ul>
   * Then the issuer of the server certificate is trusted for agents ({@link #trustAgentCa}), so this
   * developer's daemon verifies the agent whoever's CA issued it.
   *
   * <p>Each file is replaced atomically; an agent polling the directory may see the new key before the new
   * certificate, rejects that pair and picks up the complete set at its next poll.
   *
   * @param extraDnsNames more DNS names for the server certificate, e.g. the Service's name
   * @param extraIps more IP address literals for the server certificate
   * @return what was kept, replaced and trusted
   * @throws PkiFileException if an existing {@value AgentTls#CLIENTS_CA_FILE} or
   *     {@value #TRUSTED_AGENT_CAS_FILE} cannot be read
   * @throws IllegalArgumentException if an extra name is not a DNS name or IP literal
   */
  public AgentTlsDirResult writeAgentTlsDir(
      Path outDir, List<String> extraDnsNames, List<String> extraIps) throws IOException {
    requireNonNull(outDir, "outDir");
    requireNonNull(extraDnsNames, "extraDnsNames");
    requireNonNull(extraIps, "extraIps");
    List<String> requiredDnsNames = new ArrayList<>(List.of(AgentTls.AGENT_AUTHORITY));
    requiredDnsNames.addAll(extraDnsNames);
    // Checks the extras even when no certificate is issued.
    CertificateAuthority.subjectAltNames(requiredDnsNames, extraIps);

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
    boolean addClientCa = !clientCas.contains(ca.certificate());
    if (addClientCa) {
      clientCas.add(ca.certificate());
    }

    Path certFile = outDir.resolve(AgentTls.SERVER_CERT_FILE);
    Path keyFile = outDir.resolve(AgentTls.SERVER_KEY_FILE);
    List<X509Certificate> chain = null;
    String replacedBecause = null;
    if (Files.exists(certFile) || Files.exists(keyFile)) {
      try {
        chain = Pem.readCertificates(certFile);
        replacedBecause = reasonToReplaceServer(chain, Pem.readPrivateKey(keyFile), certFile, keyFile,
            requiredDnsNames, extraIps, clock.instant());
      } catch (IOException e) {
        replacedBecause = e.getMessage();
      }
    }
    boolean kept = chain != null && replacedBecause == null;
    if (kept) {
      if (addClientCa) {
        Pem.writeCertificates(clientsCaFile, clientCas);
      }
    } else {
      if (replacedBecause != null) {
        logger.log(Level.INFO, "Replacing the server certificate in {0}: {1}",
            new Object[] {outDir, replacedBecause});
      }
      List<String> dnsNames = new ArrayList<>(List.of(AgentTls.AGENT_AUTHORITY, "localhost"));
      dnsNames.addAll(extraDnsNames);
      List<String> ips = new ArrayList<>(List.of("127.0.0.1", "::1"));
      ips.addAll(extraIps);
      IssuedCertificate server =
          ca.issueServer(AgentTls.AGENT_AUTHORITY, dnsNames, ips, SERVER_VALIDITY);
      chain = server.chain();
      Pem.writeCertificates(clientsCaFile, clientCas);
      Pem.writePrivateKey(keyFile, server.privateKey());
      Pem.writeCertificates(certFile, chain);
    }
    X509Certificate issuer = chain.get(1);
    boolean issuerNewlyTrusted = trustAgentCa(issuer);
    return new AgentTlsDirResult(chain.get(0), issuer, kept, replacedBecause, issuerNewlyTrusted);
  }

  /**
   * Why the server certificate in an agent's TLS directory cannot be kept, or null if it can: see
   * {@link #writeAgentTlsDir}.
   */
  private static String reasonToReplaceServer(List<X509Certificate> chain, PrivateKey key, Path certFile,
      Path keyFile, List<String> dnsNames, List<String> ips, Instant now) {
    X509Certificate server = chain.get(0);
    if (!Keys.matches(key, server.getPublicKey())) {
      return keyFile + " is not the key of " + certFile;
    }
    if (chain.size() < 2) {
      return certFile + " lacks the certificate of its issuer, which other daemons must trust";
    }
    X509Certificate issuer = chain.get(1);
    if (issuer.getBasicConstraints() < 0) {
      return "its issuer " + issuer.getSubjectX500Principal() + " is not a CA";
    }
    try {
      server.verify(issuer.getPublicKey());
    } catch (GeneralSecurityException e) {
      return "it was not issued by the next certificate in " + certFile + ", "
          + issuer.getSubjectX500Principal();
    }
    try {
      List<String> usages = server.getExtendedKeyUsage();
      if (usages != null && !usages.contains(SERVER_AUTH)) {
        return "it is not a TLS server certificate";
      }
      List<String> missing = missingNames(server, dnsNames, ips);
      if (!missing.isEmpty()) {
        return "it is not valid for " + String.join(", ", missing);
      }
    } catch (GeneralSecurityException e) {
      return "its extensions cannot be read: " + e.getMessage();
    }
    Instant notAfter = server.getNotAfter().toInstant();
    if (notAfter.isBefore(now.plus(RENEW_BEFORE))) {
      return notAfter.isBefore(now) ? "it expired on " + notAfter : "it expires on " + notAfter;
    }
    return null;
  }

  /** The names of {@code dnsNames} and {@code ips} that {@code certificate} is not valid for. */
  private static List<String> missingNames(X509Certificate certificate, List<String> dnsNames,
      List<String> ips) throws GeneralSecurityException {
    Collection<List<?>> subjectAltNames = certificate.getSubjectAlternativeNames();
    List<String> certDnsNames = new ArrayList<>();
    List<InetAddress> certIps = new ArrayList<>();
    for (List<?> name : subjectAltNames == null ? List.<List<?>>of() : subjectAltNames) {
      if (Integer.valueOf(DNS_NAME).equals(name.get(0))) {
        certDnsNames.add(((String) name.get(1)).toLowerCase(Locale.ROOT));
      } else if (Integer.valueOf(IP_ADDRESS).equals(name.get(0))) {
        certIps.add(ipLiteral((String) name.get(1)));
      }
    }
    List<String> missing = new ArrayList<>();
    for (String dnsName : dnsNames) {
      if (!certDnsNames.contains(dnsName.toLowerCase(Locale.ROOT))) {
        missing.add(dnsName);
      }
    }
    for (String ip : ips) {
      if (!certIps.contains(ipLiteral(ip))) {
        missing.add(ip);
      }
    }
    return missing;
  }

  /** An IP literal, already validated, as an address; never a DNS lookup. */
  private static InetAddress ipLiteral(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new IllegalArgumentException("not an IP literal: " + literal, e);
    }
  }

  @Override
  public String toString() {
    return "UserPki{" + owner + ", " + dir + '}';
  }
}

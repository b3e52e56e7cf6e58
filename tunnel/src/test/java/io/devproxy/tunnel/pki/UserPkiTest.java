package io.devproxy.tunnel.pki;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserPkiTest {

  private static final int DNS = 2;
  private static final int IP = 7;

  @TempDir Path dir;

  @Test
  void createsCaAndClientCertificateForOwner() throws Exception {
    Path pkiDir = dir.resolve(".config/devproxy/pki");

    UserPki pki = UserPki.loadOrCreate(pkiDir, "alice@laptop");

    assertThat(pki.owner()).isEqualTo("alice@laptop");
    assertThat(pki.directory()).isEqualTo(pkiDir);
    assertThat(pki.ca().certificate().getSubjectX500Principal().getName())
        .isEqualTo("CN=devproxy CA alice@laptop,O=devproxy");
    X509Certificate client = pki.clientCertificate();
    assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=alice@laptop,O=devproxy");
    assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThatCode(() -> client.verify(pki.ca().certificate().getPublicKey()))
        .doesNotThrowAnyException();
    assertThat(client.getNotAfter().toInstant())
        .isAfter(Instant.now().plus(Duration.ofDays(364)));

    assertThat(pki.caCertificateFile()).isEqualTo(pkiDir.resolve("ca.crt"));
    assertThat(pki.clientCertificateFile()).isEqualTo(pkiDir.resolve("client.crt"));
    assertThat(pki.clientKeyFile()).isEqualTo(pkiDir.resolve("client.key"));
    assertThat(Pem.readCertificates(pki.agentTrustFile())).containsExactly(pki.ca().certificate());
    assertThat(Pem.readCertificates(pki.clientCertificateFile()).get(0)).isEqualTo(client);
    assertThat(Keys.matches(Pem.readPrivateKey(pki.clientKeyFile()), client.getPublicKey())).isTrue();
    assertThat(mode(pkiDir)).isEqualTo("rwx------");
    assertThat(mode(pki.clientKeyFile())).isEqualTo("rw-------");
    assertThat(mode(pkiDir.resolve("ca.key"))).isEqualTo("rw-------");
  }

  @Test
  void validClientCertificateIsKept() throws IOException {
    X509Certificate first = UserPki.loadOrCreate(dir, "alice@laptop").clientCertificate();

    X509Certificate second = UserPki.loadOrCreate(dir, "alice@laptop").clientCertificate();

    assertThat(second).isEqualTo(first);
  }

  @Test
  void clientCertificateWithin30DaysOfExpiryIsIssuedAgain() throws IOException {
    UserPki pki = UserPki.loadOrCreate(dir, "alice@laptop");
    IssuedCertificate expiring = pki.ca().issueClient("alice@laptop", Duration.ofDays(29));
    Pem.writePrivateKey(pki.clientKeyFile(), expiring.privateKey());
    Pem.writeCertificates(pki.clientCertificateFile(), expiring.chain());

    X509Certificate renewed = UserPki.loadOrCreate(dir, "alice@laptop").clientCertificate();

    assertThat(renewed.getSerialNumber()).isNotEqualTo(expiring.certificate().getSerialNumber());
    assertThat(renewed.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(364)));
    assertThat(Pem.readCertificates(pki.clientCertificateFile()).get(0)).isEqualTo(renewed);
  }

  @Test
  void expiredClientCertificateIsIssuedAgain() throws IOException {
    Instant twoYearsAgo = Instant.now().minus(Duration.ofDays(730));
    X509Certificate old = UserPki.loadOrCreate(
        dir, "alice@laptop", Clock.fixed(twoYearsAgo, ZoneOffset.UTC)).clientCertificate();
    assertThat(old.getNotAfter().toInstant()).isBefore(Instant.now());

    X509Certificate renewed = UserPki.loadOrCreate(dir, "alice@laptop").clientCertificate();

    assertThat(renewed.getNotAfter().toInstant()).isAfter(Instant.now());
  }

  @Test
  void clientCertificateOfAnotherOwnerOrCaIsIssuedAgain() throws IOException {
    UserPki.loadOrCreate(dir, "alice@laptop");
    UserPki other = UserPki.loadOrCreate(dir.resolve("other"), "alice@laptop");
    Files.copy(other.clientCertificateFile(), dir.resolve("client.crt"),
        REPLACE_EXISTING);
    Files.copy(other.clientKeyFile(), dir.resolve("client.key"),
        REPLACE_EXISTING);

    UserPki reloaded = UserPki.loadOrCreate(dir, "alice@desktop");

    assertThat(reloaded.clientCertificate().getSubjectX500Principal().getName())
        .isEqualTo("CN=alice@desktop,O=devproxy");
    assertThatCode(() -> reloaded.clientCertificate().verify(
        reloaded.ca().certificate().getPublicKey())).doesNotThrowAnyException();
  }

  @Test
  void agentTlsDirHoldsServerChainKeyAndClientCa() throws Exception {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    Path tlsDir = dir.resolve("agent-tls");

    alice.writeAgentTlsDir(tlsDir, List.of("checkout.shop.svc"), List.of("10.0.0.7"));

    List<X509Certificate> chain = Pem.readCertificates(tlsDir.resolve("server.crt"));
    assertThat(chain).hasSize(2);
    assertThat(chain.get(1)).isEqualTo(alice.ca().certificate());
    X509Certificate server = chain.get(0);
    assertThatCode(() -> server.verify(alice.ca().certificate().getPublicKey()))
        .doesNotThrowAnyException();
    assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(server.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
        List.of(DNS, AgentTls.AGENT_AUTHORITY), List.of(DNS, "localhost"),
        List.of(DNS, "checkout.shop.svc"), List.of(IP, "127.0.0.1"),
        List.of(IP, "0:0:0:0:0:0:0:1"), List.of(IP, "10.0.0.7"));
    assertThat(Keys.matches(Pem.readPrivateKey(tlsDir.resolve("server.key")), server.getPublicKey()))
        .isTrue();
    assertThat(Pem.readCertificates(tlsDir.resolve("clients-ca.crt")))
        .containsExactly(alice.ca().certificate());
    assertThat(mode(tlsDir)).isEqualTo("rwx------");
    assertThat(mode(tlsDir.resolve("server.key"))).isEqualTo("rw-------");
    try (var files = Files.list(tlsDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("server.crt", "server.key", "clients-ca.crt");
    }
  }

  @Test
  void secondDeveloperIsAddedToClientCasOnce() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());

    bob.writeAgentTlsDir(tlsDir, List.of(), List.of());
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());
    bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertThat(Pem.readCertificates(tlsDir.resolve("clients-ca.crt")))
        .containsExactly(alice.ca().certificate(), bob.ca().certificate());
    assertThat(Pem.readCertificates(tlsDir.resolve("server.crt")).get(1))
        .isEqualTo(alice.ca().certificate());
  }

  @Test
  void secondDeveloperKeepsTheServerCertificateAndTrustsItsIssuer() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    AgentTlsDirResult first = alice.writeAgentTlsDir(tlsDir, List.of("web.shop.svc"), List.of("10.0.0.7"));
    byte[] serverCert = Files.readAllBytes(tlsDir.resolve("server.crt"));
    byte[] serverKey = Files.readAllBytes(tlsDir.resolve("server.key"));

    AgentTlsDirResult second = bob.writeAgentTlsDir(tlsDir, List.of("WEB.shop.svc"), List.of("10.0.0.7"));

    assertThat(first.kept()).isFalse();
    assertThat(first.replacedBecause()).isNull();
    assertThat(first.issuer()).isEqualTo(alice.ca().certificate());
    assertThat(first.issuerNewlyTrusted()).isFalse();
    assertThat(second.kept()).isTrue();
    assertThat(second.replacedBecause()).isNull();
    assertThat(second.serverCertificate()).isEqualTo(first.serverCertificate());
    assertThat(second.issuer()).isEqualTo(alice.ca().certificate());
    assertThat(second.issuerNewlyTrusted()).isTrue();
    assertThat(Files.readAllBytes(tlsDir.resolve("server.crt"))).isEqualTo(serverCert);
    assertThat(Files.readAllBytes(tlsDir.resolve("server.key"))).isEqualTo(serverKey);
    assertThat(Pem.readCertificates(tlsDir.resolve("clients-ca.crt")))
        .containsExactly(alice.ca().certificate(), bob.ca().certificate());
    assertThat(bob.trustedAgentCasFile()).isEqualTo(dir.resolve("bob/trusted-agent-cas.crt"));
    assertThat(Pem.readCertificates(bob.trustedAgentCasFile()))
        .containsExactly(alice.ca().certificate());
    assertThat(bob.agentTrustFile()).isEqualTo(dir.resolve("bob/agent-trust.crt"));
    assertThat(Pem.readCertificates(bob.agentTrustFile()))
        .containsExactly(bob.ca().certificate(), alice.ca().certificate());
    assertThat(Pem.readCertificates(alice.agentTrustFile())).containsExactly(alice.ca().certificate());
    assertThat(alice.trustedAgentCasFile()).doesNotExist();
    try (var files = Files.list(tlsDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("server.crt", "server.key", "clients-ca.crt");
    }

    AgentTlsDirResult third = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertThat(third.kept()).isTrue();
    assertThat(third.issuerNewlyTrusted()).isFalse();
    assertThat(Pem.readCertificates(bob.trustedAgentCasFile()))
        .containsExactly(alice.ca().certificate());
  }

  @Test
  void expiredServerCertificateIsReplaced() throws IOException {
    Instant twoYearsAgo = Instant.now().minus(Duration.ofDays(730));
    UserPki aliceThen = UserPki.loadOrCreate(
        dir.resolve("alice"), "alice@laptop", Clock.fixed(twoYearsAgo, ZoneOffset.UTC));
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    aliceThen.writeAgentTlsDir(tlsDir, List.of(), List.of());

    AgentTlsDirResult result = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertReplacedByBob(result, bob, tlsDir);
    assertThat(result.replacedBecause()).startsWith("it expired on ");
    assertThat(Pem.readCertificates(tlsDir.resolve("clients-ca.crt")))
        .containsExactly(aliceThen.ca().certificate(), bob.ca().certificate());
  }

  @Test
  void serverCertificateWithin30DaysOfExpiryIsReplaced() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());
    writeServer(tlsDir, alice.ca().issueServer(AgentTls.AGENT_AUTHORITY,
        List.of(AgentTls.AGENT_AUTHORITY), List.of(), Duration.ofDays(29)));

    AgentTlsDirResult result = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertReplacedByBob(result, bob, tlsDir);
    assertThat(result.replacedBecause()).startsWith("it expires on ");
  }

  @Test
  void serverCertificateWithoutTheAgentNameIsReplaced() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());
    writeServer(tlsDir, alice.ca().issueServer("web", List.of("web.shop.svc"), List.of(),
        Duration.ofDays(365)));

    AgentTlsDirResult result = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertReplacedByBob(result, bob, tlsDir);
    assertThat(result.replacedBecause()).isEqualTo("it is not valid for devproxy-agent");
  }

  @Test
  void serverCertificateWithoutARequestedNameIsReplaced() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of("::1"));

    AgentTlsDirResult result =
        bob.writeAgentTlsDir(tlsDir, List.of("web.shop.svc"), List.of("0:0::1", "10.0.0.7"));

    assertReplacedByBob(result, bob, tlsDir);
    assertThat(result.replacedBecause()).isEqualTo("it is not valid for web.shop.svc, 10.0.0.7");
  }

  @Test
  void serverKeyOfAnotherCertificateIsReplaced() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());
    Pem.writePrivateKey(tlsDir.resolve("server.key"), alice.ca().issueServer(AgentTls.AGENT_AUTHORITY,
        List.of(AgentTls.AGENT_AUTHORITY), List.of(), Duration.ofDays(365)).privateKey());

    AgentTlsDirResult result = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertReplacedByBob(result, bob, tlsDir);
    assertThat(result.replacedBecause())
        .isEqualTo(tlsDir.resolve("server.key") + " is not the key of " + tlsDir.resolve("server.crt"));
  }

  @Test
  void serverCertificateWithoutItsIssuerOrUnreadableIsReplaced() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());
    Path certFile = tlsDir.resolve("server.crt");
    Pem.writeCertificates(certFile, List.of(Pem.readCertificates(certFile).get(0)));

    AgentTlsDirResult withoutIssuer = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertReplacedByBob(withoutIssuer, bob, tlsDir);
    assertThat(withoutIssuer.replacedBecause()).isEqualTo(certFile + " lacks the certificate of its"
        + " issuer, which other daemons must trust");

    Files.writeString(certFile, "garbage\n");
    AgentTlsDirResult unreadable = bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertReplacedByBob(unreadable, bob, tlsDir);
    assertThat(unreadable.replacedBecause()).startsWith(certFile + ": no certificate found");
  }

  @Test
  void invalidExtraNameIsRefusedEvenWhenTheServerCertificateIsKept() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    Path tlsDir = dir.resolve("agent-tls");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());

    assertThatThrownBy(() -> alice.writeAgentTlsDir(tlsDir, List.of(), List.of("web.local")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("ipAddresses: web.local");
  }

  @Test
  void trustAgentCaAddsEachCaOnceAndNeverTheOwnCa() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    UserPki carol = UserPki.loadOrCreate(dir.resolve("carol"), "carol@desktop");

    assertThat(alice.trustAgentCa(alice.ca().certificate())).isFalse();
    assertThat(alice.trustedAgentCasFile()).doesNotExist();
    assertThat(alice.trustAgentCa(bob.ca().certificate())).isTrue();
    assertThat(alice.trustAgentCa(carol.ca().certificate())).isTrue();
    assertThat(alice.trustAgentCa(bob.ca().certificate())).isFalse();

    assertThat(Pem.readCertificates(alice.trustedAgentCasFile()))
        .containsExactly(bob.ca().certificate(), carol.ca().certificate());
    assertThat(Pem.readCertificates(alice.agentTrustFile())).containsExactly(
        alice.ca().certificate(), bob.ca().certificate(), carol.ca().certificate());
    assertThatThrownBy(() -> alice.trustAgentCa(bob.clientCertificate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("agentCa: CN=bob@desktop, O=devproxy (expected: a CA certificate)");
  }

  @Test
  void agentTrustFileFollowsTheTrustedAgentCasFile() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    alice.trustAgentCa(bob.ca().certificate());
    Files.delete(alice.agentTrustFile());

    UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");

    assertThat(Pem.readCertificates(alice.agentTrustFile()))
        .containsExactly(alice.ca().certificate(), bob.ca().certificate());

    Files.delete(alice.trustedAgentCasFile());
    UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");

    assertThat(Pem.readCertificates(alice.agentTrustFile())).containsExactly(alice.ca().certificate());
  }

  @Test
  void damagedTrustedAgentCasFileIsReportedWithTheFix() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    Files.writeString(alice.trustedAgentCasFile(), "garbage\n");

    assertThatThrownBy(() -> UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop"))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(alice.trustedAgentCasFile() + ": no certificate found")
        .hasMessageEndingWith("repair it, or delete it and run 'devproxy certs agent --out DIR' on those"
            + " agents' TLS directories again");
    assertThat(Files.readString(alice.trustedAgentCasFile())).isEqualTo("garbage\n");
  }

  @Test
  void damagedClientCaBundleIsNotOverwritten() throws IOException {
    UserPki alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    Path tlsDir = dir.resolve("agent-tls");
    Files.createDirectories(tlsDir);
    Path bundle = tlsDir.resolve("clients-ca.crt");
    Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\nAAAA\n");

    assertThatThrownBy(() -> alice.writeAgentTlsDir(tlsDir, List.of(), List.of()))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(bundle + ": malformed certificate")
        .hasMessageEndingWith("repair it, or delete it to allow only alice@laptop");
    assertThat(Files.readString(bundle)).isEqualTo("-----BEGIN CERTIFICATE-----\nAAAA\n");
  }

  private static void writeServer(Path tlsDir, IssuedCertificate server) throws IOException {
    Pem.writePrivateKey(tlsDir.resolve("server.key"), server.privateKey());
    Pem.writeCertificates(tlsDir.resolve("server.crt"), server.chain());
  }

  /** Bob's CA issued a new server certificate for the agent, with its key, and his daemon trusts it. */
  private static void assertReplacedByBob(AgentTlsDirResult result, UserPki bob, Path tlsDir)
      throws IOException {
    assertThat(result.kept()).isFalse();
    assertThat(result.replacedBecause()).isNotNull();
    assertThat(result.issuer()).isEqualTo(bob.ca().certificate());
    assertThat(result.issuerNewlyTrusted()).isFalse();
    List<X509Certificate> chain = Pem.readCertificates(tlsDir.resolve("server.crt"));
    assertThat(chain).containsExactly(result.serverCertificate(), bob.ca().certificate());
    assertThat(Keys.matches(Pem.readPrivateKey(tlsDir.resolve("server.key")),
        result.serverCertificate().getPublicKey())).isTrue();
    assertThat(result.serverCertificate().getNotAfter().toInstant())
        .isAfter(Instant.now().plus(Duration.ofDays(364)));
    assertThat(Pem.readCertificates(tlsDir.resolve("clients-ca.crt"))).contains(bob.ca().certificate());
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}

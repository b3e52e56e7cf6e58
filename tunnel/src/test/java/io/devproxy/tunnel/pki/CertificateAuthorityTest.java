package io.devproxy.tunnel.pki;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int DNS = 2;
  private static final int IP = 7;

  @TempDir Path dir;

  @Test
  void createsTenYearEcCaInPrivateDirectory() throws Exception {
    Path caDir = dir.resolve("config").resolve("pki");
    Instant now = Instant.parse("2030-01-02T03:04:05Z");

    CertificateAuthority ca = CertificateAuthority.loadOrCreate(
        caDir, "devproxy CA alice@laptop", Clock.fixed(now, ZoneOffset.UTC));

    X509Certificate certificate = ca.certificate();
    assertThat(certificate.getSubjectX500Principal().getName())
        .isEqualTo("CN=devproxy CA alice@laptop,O=devproxy");
    assertThat(certificate.getIssuerX500Principal()).isEqualTo(certificate.getSubjectX500Principal());
    assertThatCode(() -> certificate.verify(certificate.getPublicKey())).doesNotThrowAnyException();
    assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(((ECPublicKey) certificate.getPublicKey()).getParams().getCurve().getField()
        .getFieldSize()).isEqualTo(256);
    assertThat(certificate.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
    assertThat(certificate.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    boolean[] keyUsage = certificate.getKeyUsage();
    assertThat(keyUsage[5]).as("keyCertSign").isTrue();
    assertThat(keyUsage[6]).as("cRLSign").isTrue();
    assertThat(keyUsage[0]).as("digitalSignature").isFalse();
    assertThat(certificate.getExtensionValue("2.5.29.14")).as("subject key id").isNotNull();
    assertThat(certificate.getNotBefore().toInstant()).isEqualTo(now.minus(Duration.ofHours(1)));
    assertThat(certificate.getNotAfter().toInstant()).isEqualTo(now.plus(Duration.ofDays(3650)));

    assertThat(mode(caDir)).isEqualTo("rwx------");
    assertThat(mode(caDir.resolve("ca.key"))).isEqualTo("rw-------");
    assertThat(Pem.readCertificates(caDir.resolve("ca.crt"))).containsExactly(certificate);
    assertThat(ca.certificateFile()).isEqualTo(caDir.resolve("ca.crt"));
  }

  @Test
  void secondLoadReturnsTheSameCaAndKeepsItsName() throws IOException {
    CertificateAuthority first = CertificateAuthority.loadOrCreate(dir, "devproxy CA alice@laptop");

    CertificateAuthority second = CertificateAuthority.loadOrCreate(dir, "devproxy CA alice@desktop");

    assertThat(second.certificate()).isEqualTo(first.certificate());
    X509Certificate issued = second.issueClient("alice@laptop", Duration.ofDays(1)).certificate();
    assertThatCode(() -> issued.verify(first.certificate().getPublicKey()))
        .doesNotThrowAnyException();
  }

  @Test
  void serverCertificateChainsToCaWithNamesAndServerAuthOnly() throws Exception {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "test CA");

    IssuedCertificate server = ca.issueServer("devproxy-agent",
        List.of("devproxy-agent", "localhost", "checkout.shop.svc"),
        List.of("127.0.0.1", "::1", "10.1.2.3"), Duration.ofDays(30));

    X509Certificate certificate = server.certificate();
    assertThat(server.issuer()).isEqualTo(ca.certificate());
    assertThat(server.chain()).containsExactly(certificate, ca.certificate());
    assertThat(Keys.matches(server.privateKey(), certificate.getPublicKey())).isTrue();
    validatePkix(certificate, ca.certificate());
    assertThat(certificate.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
        List.of(DNS, "devproxy-agent"), List.of(DNS, "localhost"), List.of(DNS, "checkout.shop.svc"),
        List.of(IP, "127.0.0.1"), List.of(IP, "0:0:0:0:0:0:0:1"), List.of(IP, "10.1.2.3"));
    assertThat(certificate.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
    assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
    assertThat(certificate.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(certificate.getExtensionValue("2.5.29.35")).as("authority key id").isNotNull();

    X509TrustManager trust = trustManager(ca.certificate());
    X509Certificate[] chain = server.chain().toArray(new X509Certificate[0]);
    assertThatCode(() -> trust.checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkClientTrusted(chain, "EC"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void clientCertificateChainsToCaWithClientAuthOnly() throws Exception {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "test CA");

    IssuedCertificate client = ca.issueClient("alice@laptop", Duration.ofDays(30));

    X509Certificate certificate = client.certificate();
    assertThat(certificate.getSubjectX500Principal().getName())
        .isEqualTo("CN=alice@laptop,O=devproxy");
    validatePkix(certificate, ca.certificate());
    assertThat(certificate.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    assertThat(certificate.getSubjectAlternativeNames()).isNull();

    X509TrustManager trust = trustManager(ca.certificate());
    X509Certificate[] chain = client.chain().toArray(new X509Certificate[0]);
    assertThatCode(() -> trust.checkClientTrusted(chain, "EC")).doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void issuedCertificatesAreBackdatedAnHourWithRandom128BitSerials() throws IOException {
    Instant now = Instant.parse("2030-06-01T12:00:00Z");
    CertificateAuthority ca =
        CertificateAuthority.loadOrCreate(dir, "test CA", Clock.fixed(now, ZoneOffset.UTC));

    Set<BigInteger> serials = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      X509Certificate certificate = ca.issueClient("c" + i, Duration.ofDays(7)).certificate();
      assertThat(certificate.getNotBefore().toInstant()).isEqualTo(now.minus(Duration.ofHours(1)));
      assertThat(certificate.getNotAfter().toInstant()).isEqualTo(now.plus(Duration.ofDays(7)));
      assertThat(certificate.getSerialNumber()).isPositive();
      assertThat(certificate.getSerialNumber().bitLength()).isBetween(100, 128);
      serials.add(certificate.getSerialNumber());
    }
    assertThat(serials).hasSize(20);
  }

  @Test
  void issuedCertificateNeverOutlivesTheCa() throws IOException {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "test CA");

    X509Certificate certificate = ca.issueClient("alice", Duration.ofDays(365 * 20)).certificate();

    assertThat(certificate.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
  }

  @Test
  void namesThatCannotBeVerifiedAreRefused() throws IOException {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "test CA");
    Duration day = Duration.ofDays(1);

    assertThatThrownBy(() -> ca.issueServer("s", List.of(), List.of("agent.local"), day))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("ipAddresses: agent.local (expected: an IPv4 or IPv6 literal");
    assertThatThrownBy(() -> ca.issueServer("s", List.of("10.0.0.1"), List.of(), day))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pass IP addresses in ipAddresses");
    assertThatThrownBy(() -> ca.issueServer("s", List.of(), List.of(), day))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ca.issueClient("alice", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("validity: PT0S (expected: > 0)");
  }

  @Test
  void certificateWithoutKeyTellsHowToRecover() throws IOException {
    CertificateAuthority.loadOrCreate(dir, "test CA");
    Files.delete(dir.resolve("ca.key"));

    assertThatThrownBy(() -> CertificateAuthority.loadOrCreate(dir, "test CA"))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(dir.resolve("ca.key") + ": does not exist, but ca.crt does;")
        .hasMessageContaining("delete " + dir.resolve("ca.crt") + " to create a new CA");
  }

  @Test
  void keyOfAnotherCaIsRefused() throws IOException {
    CertificateAuthority.loadOrCreate(dir, "test CA");
    Path other = dir.resolve("other");
    CertificateAuthority.loadOrCreate(other, "other CA");
    Files.copy(other.resolve("ca.key"), dir.resolve("ca.key"),
        REPLACE_EXISTING);

    assertThatThrownBy(() -> CertificateAuthority.loadOrCreate(dir, "test CA"))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(dir.resolve("ca.key") + ": is not the key of " + dir.resolve("ca.crt"));
  }

  @Test
  void expiredCaIsRefused() throws IOException {
    Instant elevenYearsAgo = Instant.now().minus(Duration.ofDays(11 * 365));
    CertificateAuthority.loadOrCreate(dir, "old CA", Clock.fixed(elevenYearsAgo, ZoneOffset.UTC));

    assertThatThrownBy(() -> CertificateAuthority.loadOrCreate(dir, "old CA"))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(dir.resolve("ca.crt") + ": expired on ");
  }

  private static void validatePkix(X509Certificate certificate, X509Certificate ca)
      throws Exception {
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    parameters.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate)), parameters);
  }

  private static X509TrustManager trustManager(X509Certificate ca) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("ca", ca);
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return (X509TrustManager) factory.getTrustManagers()[0];
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}

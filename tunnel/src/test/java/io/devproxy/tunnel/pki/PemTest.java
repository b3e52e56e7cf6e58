package io.devproxy.tunnel.pki;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

  @TempDir Path dir;
  private CertificateAuthority ca;

  @BeforeEach
  void createCa() throws IOException {
    ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"), "test CA");
  }

  @Test
  void certificateBundleRoundTripsInOrder() throws IOException {
    X509Certificate leaf = ca.issueClient("alice@laptop", Duration.ofDays(1)).certificate();
    Path file = dir.resolve("bundle.crt");

    Pem.writeCertificates(file, List.of(leaf, ca.certificate()));

    assertThat(Pem.readCertificates(file)).containsExactly(leaf, ca.certificate());
    assertThat(Files.readString(file, US_ASCII))
        .startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void readerIgnoresTextAroundBlocks() throws IOException {
    Path file = dir.resolve("commented.crt");
    Files.writeString(file, "# alice's CA\n" + Pem.encodeCertificates(List.of(ca.certificate()))
        + "trailing words\n", US_ASCII);

    assertThat(Pem.readCertificates(file)).containsExactly(ca.certificate());
  }

  @Test
  void privateKeyIsWrittenAsPkcs8WithMode0600() throws IOException {
    PrivateKey key = ca.issueClient("alice@laptop", Duration.ofDays(1)).privateKey();
    Path file = dir.resolve("client.key");

    Pem.writePrivateKey(file, key);

    assertThat(Files.readString(file, US_ASCII)).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(Pem.readPrivateKey(file).getEncoded()).isEqualTo(key.getEncoded());
  }

  @Test
  void rewritingAWorldReadableKeyFileLeavesItPrivateAndNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("server.key");
    Files.writeString(file, "old");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

    Pem.writePrivateKey(file, ca.issueClient("x", Duration.ofDays(1)).privateKey());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "ca", "server.key");
    }
  }

  @Test
  void readsOpensslTraditionalEcKeyWithParametersBlock() throws Exception {
    PrivateKey traditional = Pem.readPrivateKey(resource("ec-traditional.key"));
    PrivateKey pkcs8 = Pem.readPrivateKey(resource("ec-pkcs8.key"));

    assertThat(traditional).isInstanceOf(ECPrivateKey.class);
    assertThat(((ECPrivateKey) traditional).getS()).isEqualTo(((ECPrivateKey) pkcs8).getS());
  }

  @Test
  void readsOpensslTraditionalRsaKey() throws Exception {
    PrivateKey traditional = Pem.readPrivateKey(resource("rsa-traditional.key"));
    PrivateKey pkcs8 = Pem.readPrivateKey(resource("rsa-pkcs8.key"));

    assertThat(traditional).isInstanceOf(RSAPrivateKey.class);
    assertThat(((RSAPrivateKey) traditional).getPrivateExponent())
        .isEqualTo(((RSAPrivateKey) pkcs8).getPrivateExponent());
  }

  @Test
  void encryptedKeyIsRefusedWithHowToDecrypt() throws Exception {
    Path file = resource("ec-encrypted.key");

    assertThatThrownBy(() -> Pem.readPrivateKey(file))
        .isInstanceOf(PkiFileException.class)
        .hasMessage(file + ": the private key is encrypted; devproxy needs it unencrypted"
            + " (decrypt it with 'openssl pkey -in " + file + "')");
  }

  @Test
  void fileWithoutCertificateNamesFileAndExpectedFormat() throws IOException {
    Path file = dir.resolve("clients-ca.crt");
    Files.writeString(file, "not a certificate\n");

    assertThatThrownBy(() -> Pem.readCertificates(file))
        .isInstanceOfSatisfying(PkiFileException.class, e -> assertThat(e.file()).isEqualTo(file))
        .hasMessage(file + ": no certificate found (expected PEM 'BEGIN CERTIFICATE')");
  }

  @Test
  void keyFileReadAsCertificateAndCertificateReadAsKeyAreRefused() throws IOException {
    Path keyFile = dir.resolve("ca").resolve(CertificateAuthority.KEY_FILE);
    Path certFile = dir.resolve("ca").resolve(CertificateAuthority.CERTIFICATE_FILE);

    assertThatThrownBy(() -> Pem.readCertificates(keyFile))
        .hasMessage(keyFile + ": no certificate found (expected PEM 'BEGIN CERTIFICATE')");
    assertThatThrownBy(() -> Pem.readPrivateKey(certFile))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(certFile + ": no private key found (expected PEM 'BEGIN PRIVATE KEY'");
  }

  @Test
  void truncatedCertificateIsMalformed() throws IOException {
    String pem = Pem.encodeCertificates(List.of(ca.certificate()));
    Path file = dir.resolve("truncated.crt");
    Files.writeString(file, pem.substring(0, pem.length() / 2), US_ASCII);

    assertThatThrownBy(() -> Pem.readCertificates(file))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(file + ": malformed certificate");
  }

  @Test
  void missingFileIsNamed() {
    Path file = dir.resolve("absent.key");

    assertThatThrownBy(() -> Pem.readPrivateKey(file))
        .isInstanceOf(PkiFileException.class)
        .hasMessage(file + ": does not exist");
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(PemTest.class.getResource(name).toURI());
  }
}

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsAgentCommandTest {

  @TempDir Path dir;

  @Test
  void writesTheAgentsTlsFilesWithAPrivateKey() throws Exception {
    Path home = dir.resolve("home");
    Path out = dir.resolve("agent-tls");
    CliRunner cli = new CliRunner(home);

    CliRunner.Result result =
        cli.run("certs", "agent", "--out", out.toString(), "--dns", "web.shop.svc", "--ip", "10.1.2.3");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList())
        .containsExactly(
            "wrote:",
            "  " + out.resolve("server.crt"),
            "  " + out.resolve("server.key"),
            "  " + out.resolve("clients-ca.crt"));
    assertThat(out.resolve("server.crt")).isNotEmptyFile();
    assertThat(out.resolve("clients-ca.crt")).isNotEmptyFile();
    assertThat(Files.getPosixFilePermissions(out.resolve("server.key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(home.resolve("pki")).isDirectory();
    assertThat(cli.launches).hasValue(0);

    X509Certificate server;
    try (InputStream in = Files.newInputStream(out.resolve("server.crt"))) {
      server = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    List<Object> names = server.getSubjectAlternativeNames().stream().<Object>map(san -> san.get(1)).toList();
    assertThat(names).contains("web.shop.svc", "10.1.2.3");
  }

  @Test
  void badIpIsAUsageErrorNamingTheFlag() {
    CliRunner.Result result =
        new CliRunner(dir.resolve("home")).run("certs", "agent", "--out", dir.resolve("o").toString(), "--ip", "web.local");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: --ip: 'web.local' (expected: an IPv4 or IPv6 address)");
    assertThat(dir.resolve("o")).doesNotExist();
  }

  @Test
  void badDnsNameIsAUsageErrorNamingTheFlag() {
    CliRunner.Result result =
        new CliRunner(dir.resolve("home")).run("certs", "agent", "--out", dir.resolve("o").toString(), "--dns", "a b");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: --dns: 'a b' (expected: a DNS name such as web.shop.svc)");
  }

  @Test
  void certsWithoutASubcommandIsAUsageError() {
    CliRunner.Result result = new CliRunner(dir.resolve("home")).run("certs");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: missing command; one of: agent").endsWith("Run 'devproxy certs --help'." + System.lineSeparator());
  }
}

package io.devproxy.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonConfigTest {

  @TempDir Path dir;

  @Test
  void noFileMeansTheDefaults() throws Exception {
    DaemonConfig config = DaemonConfig.load(dir.resolve("config.properties"));

    assertThat(config).isEqualTo(DaemonConfig.defaults());
    assertThat(config.agentImage()).startsWith(DaemonConfig.DEFAULT_IMAGE_REPOSITORY + ":");
    assertThat(config.agentTunnelPort()).isEqualTo(8443);
    assertThat(config.lease()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.outboundPort()).isZero();
  }

  @Test
  void everyKeyIsRead() throws Exception {
    Path file = Files.writeString(dir.resolve("config.properties"), """
        agentImage = registry.example.com/devproxy/agent:1.2
        agentTunnelPort=18443
        agentAdminPort=19901
        leaseSeconds=12
        rolloutTimeoutSeconds=300
        previewDomain=Preview.Example.com
        outboundPort=1080
        """);

    DaemonConfig config = DaemonConfig.load(file);

    assertThat(config).isEqualTo(new DaemonConfig("registry.example.com/devproxy/agent:1.2", 18443, 19901,
        Duration.ofSeconds(12), Duration.ofSeconds(300), "preview.example.com", 1080));
  }

  @Test
  void badValuesAreConfigErrorsNamingFileAndKey() throws Exception {
    Path file = dir.resolve("config.properties");

    Files.writeString(file, "agentTunnelPort=http\n");
    DevproxyException port = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentImag=x\n");
    DevproxyException unknown = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentTunnelPort=9901\n");
    DevproxyException same = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "previewDomain=https://preview.example.com\n");
    DevproxyException domain = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "outboundPort=65536\n");
    DevproxyException outbound = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));

    assertThat(port.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(port).hasMessage(file + ": agentTunnelPort=http (expected: 1-65535)");
    assertThat(unknown).hasMessageContaining("unknown key 'agentImag'").hasMessageContaining("agentImage");
    assertThat(same).hasMessageContaining("agentTunnelPort and agentAdminPort are both 9901");
    assertThat(domain).hasMessage(file + ": previewDomain 'https://preview.example.com' is not a DNS domain"
        + " (expected e.g. preview.example.com)");
    assertThat(outbound.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(outbound).hasMessage(file + ": outboundPort=65536 (expected: 0-65535)");
  }
}

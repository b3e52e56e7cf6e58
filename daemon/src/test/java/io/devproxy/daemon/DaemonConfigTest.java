package io.devproxy.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
        agentCpuRequest=0.1
        agentMemoryRequest=100Mi
        agentCpuLimit=2
        agentMemoryLimit=0.25Gi
        agentImagePullSecrets = regcred, mirror.example-creds ,regcred
        """);

    DaemonConfig config = DaemonConfig.load(file);

    assertThat(config).isEqualTo(new DaemonConfig("registry.example.com/devproxy/agent:1.2", 18443, 19901,
        Duration.ofSeconds(12), Duration.ofSeconds(300), "preview.example.com", 1080,
        new DaemonConfig.AgentPod("0.1", "100Mi", "2", "0.25Gi", List.of("regcred", "mirror.example-creds"))));
  }

  @Test
  void agentResourcesDefaultToTheMeasuredSizingAndNoneLeavesOneOut() throws Exception {
    Path file = Files.writeString(dir.resolve("config.properties"), """
        agentMemoryLimit=none
        agentCpuRequest=none
        """);

    DaemonConfig.AgentPod pod = DaemonConfig.load(file).agentPod();

    assertThat(DaemonConfig.defaults().agentPod()).isEqualTo(DaemonConfig.AgentPod.DEFAULTS);
    assertThat(DaemonConfig.AgentPod.DEFAULTS.cpuLimit()).as("no CPU limit: a throttled agent delays requests")
        .isNull();
    assertThat(DaemonConfig.AgentPod.DEFAULTS.imagePullSecrets()).isEmpty();
    assertThat(pod.memoryLimit()).isNull();
    assertThat(pod.cpuRequest()).isNull();
    assertThat(pod.memoryRequest()).isEqualTo(DaemonConfig.AgentPod.DEFAULTS.memoryRequest());
  }

  @Test
  void badAgentResourcesAndSecretNamesAreConfigErrorsNamingFileAndKey() throws Exception {
    Path file = dir.resolve("config.properties");

    Files.writeString(file, "agentMemoryLimit=128m\n");
    DevproxyException milli = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentCpuRequest=fast\n");
    DevproxyException cpu = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentMemoryRequest=16Mi\n");
    DevproxyException small = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentMemoryRequest=1Gi\nagentMemoryLimit=512Mi\n");
    DevproxyException above = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentCpuRequest=-1\n");
    DevproxyException negative = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));
    Files.writeString(file, "agentImagePullSecrets=regcred,Bad_Name\n");
    DevproxyException secret = catchThrowableOfType(DevproxyException.class, () -> DaemonConfig.load(file));

    assertThat(milli.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(milli).hasMessage(file + ": agentMemoryLimit=128m (m is milli: that is 0.128 bytes; write Mi for"
        + " mebibytes, such as 128Mi)");
    assertThat(cpu).hasMessage(file + ": agentCpuRequest=fast (expected: a Kubernetes CPU quantity of at least 1m,"
        + " such as 50m, 0.5 or 1)");
    assertThat(small).hasMessage(file + ": agentMemoryRequest=16Mi (expected: a Kubernetes memory quantity of at"
        + " least 32Mi, such as 128Mi or 1Gi)");
    assertThat(above).hasMessage(file + ": agentMemoryRequest=1Gi is above agentMemoryLimit=512Mi (Kubernetes"
        + " refuses a request above its limit)");
    assertThat(negative).hasMessageStartingWith(file + ": agentCpuRequest=-1 (expected:");
    assertThat(secret.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(secret).hasMessage(file + ": agentImagePullSecrets: 'Bad_Name' is not a Secret name (expected:"
        + " comma-separated DNS-1123 names like regcred)");
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

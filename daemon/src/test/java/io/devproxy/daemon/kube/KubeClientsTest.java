package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeClientsTest {

  private static final String KUBECONFIG = """
      apiVersion: v1
      kind: Config
      clusters:
      - name: staging
        cluster:
          server: https://staging.example.com:6443
          insecure-skip-tls-verify: true
      - name: prod
        cluster:
          server: https://prod.example.com:6443
          insecure-skip-tls-verify: true
      users:
      - name: dev
        user:
          token: not-a-real-token
      contexts:
      - name: staging
        context:
          cluster: staging
          user: dev
          namespace: shop
      - name: prod
        context:
          cluster: prod
          user: dev
      current-context: staging
      """;

  @TempDir Path dir;
  private Path kubeconfig;
  private Path emptyHome;

  @BeforeEach
  void writeKubeconfig() throws Exception {
    kubeconfig = Files.writeString(dir.resolve("kubeconfig"), KUBECONFIG);
    emptyHome = Files.createDirectory(dir.resolve("home"));
  }

  private Config config(String context, String namespace) throws DevproxyException {
    return KubeClients.config(new KubeOptions(context, namespace, kubeconfig), Map.of(), emptyHome);
  }

  @Test
  void currentContextIsUsedByDefaultWithItsNamespace() throws Exception {
    Config config = config(null, null);

    assertThat(config.getMasterUrl()).isEqualTo("https://staging.example.com:6443/");
    assertThat(config.getNamespace()).isEqualTo("shop");
  }

  @Test
  void contextPicksServerAndNamespaceDefaultsToDefault() throws Exception {
    Config config = config("prod", null);

    assertThat(config.getMasterUrl()).isEqualTo("https://prod.example.com:6443/");
    assertThat(config.getNamespace()).isEqualTo("default");
  }

  @Test
  void namespaceFlagOverridesTheContextNamespace() throws Exception {
    assertThat(config("staging", "team-a").getNamespace()).isEqualTo("team-a");
  }

  @Test
  void unknownContextIsAConfigError() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> config("qa", null));

    assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(e.getMessage()).contains("'qa'", "prod, staging", "--context");
  }

  @Test
  void missingKubeconfigIsAConfigError() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> KubeClients.config(
        new KubeOptions(null, null, dir.resolve("nope")), Map.of(), emptyHome));

    assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(e.getMessage()).startsWith("cannot read the kubeconfig " + dir.resolve("nope"));
  }

  @Test
  void unparseableKubeconfigIsAConfigError() throws Exception {
    Path broken = Files.writeString(dir.resolve("broken"), "clusters: [ {");

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> KubeClients.config(
        new KubeOptions(null, null, broken), Map.of(), emptyHome));

    assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(e.getMessage()).startsWith("cannot load the kubeconfig " + broken);
  }

  @Test
  void kubeconfigVariableIsReadWhenNoFlagIsGiven() throws Exception {
    Config config = KubeClients.config(new KubeOptions("prod", null, null),
        Map.of("KUBECONFIG", kubeconfig.toString()), emptyHome);

    assertThat(config.getMasterUrl()).isEqualTo("https://prod.example.com:6443/");
  }

  @Test
  void kubeconfigVariableNamingNoReadableFileIsAConfigError() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> KubeClients.config(
        KubeOptions.defaults(), Map.of("KUBECONFIG", dir.resolve("a") + ":" + dir.resolve("b")), emptyHome));

    assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(e.getMessage()).startsWith("no readable kubeconfig in KUBECONFIG=");
  }

  @Test
  void homeKubeConfigIsReadWhenNothingElseIsGiven() throws Exception {
    Path home = Files.createDirectory(dir.resolve("home2"));
    Files.createDirectory(home.resolve(".kube"));
    Files.copy(kubeconfig, home.resolve(".kube").resolve("config"));

    Config config = KubeClients.config(KubeOptions.defaults(), Map.of(), home);

    assertThat(config.getMasterUrl()).isEqualTo("https://staging.example.com:6443/");
    assertThat(config.getNamespace()).isEqualTo("shop");
  }

  @Test
  void noKubeconfigAndNotInClusterIsAConfigError() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> KubeClients.config(KubeOptions.defaults(), Map.of(), emptyHome));

    assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(e.getMessage()).startsWith("no kubeconfig found");
  }

  @Test
  void openBuildsAClientForTheChosenContext() throws Exception {
    try (KubernetesClient client = KubeClients.open(new KubeOptions("prod", "team-b", kubeconfig))) {
      assertThat(client.getMasterUrl().toString()).isEqualTo("https://prod.example.com:6443/");
      assertThat(client.getNamespace()).isEqualTo("team-b");
    }
  }
}

package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static io.devproxy.daemon.kube.ModeFixtures.AGENT;
import static io.devproxy.daemon.kube.ModeFixtures.APP;
import static io.devproxy.daemon.kube.ModeFixtures.assertSameSpecAndMetadataMaps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class SwapInstallerTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static void createOrders(String ns) {
    ModeFixtures.createOrders(client, ns);
  }

  private static InterceptTarget target(String ns) {
    return ModeFixtures.target(ns);
  }

  private static Deployment getDeployment(String ns) {
    return client.apps().deployments().inNamespace(ns).withName("orders").get();
  }

  private static Service getService(String ns) {
    return client.services().inNamespace(ns).withName("orders").get();
  }

  @Test
  void installSwapsTheContainerAndUninstallRestoresTheDeploymentExactly() throws Exception {
    createOrders("swap");
    Deployment before = getDeployment("swap");
    Service serviceBefore = getService("swap");
    SwapInstaller installer = new SwapInstaller(client);

    SwapInstaller.Installed installed = installer.install(target("swap"), AGENT, "alice-1");

    assertThat(installed.reused()).isFalse();
    assertThat(installed.agentPort()).isEqualTo(8080);
    Deployment swapped = getDeployment("swap");
    assertThat(swapped.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    assertThat(swapped.getMetadata().getAnnotations()).containsKey("devproxy.io/restore");
    assertThat(swapped.getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("log-shipper", "devproxy-agent", "exporter");
    assertThat(getService("swap").getMetadata().getResourceVersion()).as("the Service is not written")
        .isEqualTo(serviceBefore.getMetadata().getResourceVersion());

    installer.uninstall("swap", "Deployment", "orders", "alice-1");

    Deployment after = getDeployment("swap");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
  }

  @Test
  void theSameSessionReusesItsSwapAndAnotherIsRefused() throws Exception {
    createOrders("swap-twice");
    SwapInstaller installer = new SwapInstaller(client);
    installer.install(target("swap-twice"), AGENT, "alice-1");
    String version = getDeployment("swap-twice").getMetadata().getResourceVersion();

    SwapInstaller.Installed again = installer.install(target("swap-twice"), AGENT, "alice-1");
    DevproxyException other = catchThrowableOfType(DevproxyException.class,
        () -> installer.install(target("swap-twice"), AGENT, "bob-7"));

    assertThat(again.reused()).isTrue();
    assertThat(again.agentPort()).isEqualTo(8080);
    assertThat(other.category()).isEqualTo(ErrorCategory.USER);
    assertThat(other.getMessage()).contains("already swapped by devproxy (session 'alice-1'");
    assertThat(getDeployment("swap-twice").getMetadata().getResourceVersion()).isEqualTo(version);
  }

  @Test
  void uninstallIsIdempotentAndLeavesAnotherSessionsSwapAlone() throws Exception {
    createOrders("swap-idem");
    SwapInstaller installer = new SwapInstaller(client);
    String untouched = getDeployment("swap-idem").getMetadata().getResourceVersion();
    installer.uninstall("swap-idem", "Deployment", "orders", null);
    installer.uninstall("swap-idem", "Deployment", "gone", null);
    assertThat(getDeployment("swap-idem").getMetadata().getResourceVersion()).isEqualTo(untouched);

    installer.install(target("swap-idem"), AGENT, "alice-1");
    installer.uninstall("swap-idem", "Deployment", "orders", "bob-7");
    assertThat(SwapInjection.isSwapped(getDeployment("swap-idem"))).as("bob's leave does not undo alice's swap")
        .isTrue();

    installer.uninstall("swap-idem", "Deployment", "orders", "alice-1");
    String restored = getDeployment("swap-idem").getMetadata().getResourceVersion();
    installer.uninstall("swap-idem", "Deployment", "orders", "alice-1");
    assertThat(getDeployment("swap-idem").getMetadata().getResourceVersion()).isEqualTo(restored);
  }

  @Test
  void uninstallLeavesTheSidecarOfOtherDevelopersAlone() throws Exception {
    createOrders("swap-sidecar");
    new SidecarInstaller(client).install(target("swap-sidecar"), AGENT);
    Deployment withSidecar = getDeployment("swap-sidecar");

    new SwapInstaller(client).uninstall("swap-sidecar", "Deployment", "orders", null);

    assertThat(getDeployment("swap-sidecar").getMetadata().getResourceVersion())
        .isEqualTo(withSidecar.getMetadata().getResourceVersion());
  }

  @Test
  void concurrentChangeToTheDeploymentIsPlannedAgainOnTheFreshObject() throws Exception {
    createOrders("swap-conflict");
    server.expect().put().withPath("/apis/apps/v1/namespaces/swap-conflict/deployments/orders")
        .andReturn(409, new StatusBuilder().withStatus("Failure").withCode(409).withReason("Conflict")
            .withMessage("the object has been modified").build())
        .once();

    SwapInstaller.Installed installed = new SwapInstaller(client).install(target("swap-conflict"), AGENT, null);

    assertThat(installed.reused()).isFalse();
    assertThat(SwapInjection.isSwapped(getDeployment("swap-conflict"))).isTrue();
  }

  @Test
  void aDeploymentThatKeepsChangingIsAClusterErrorAndStaysAsItWas() throws Exception {
    createOrders("swap-busy");
    Deployment before = getDeployment("swap-busy");
    server.expect().put().withPath("/apis/apps/v1/namespaces/swap-busy/deployments/orders")
        .andReturn(409, new StatusBuilder().withStatus("Failure").withCode(409).withReason("Conflict")
            .withMessage("the object has been modified").build())
        .times(2);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> new SwapInstaller(client).install(target("swap-busy"), AGENT, null));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).contains("kept changing").endsWith("nothing was changed, try again");
    Deployment after = getDeployment("swap-busy");
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
  }

  @Test
  void statefulSetIsSwappedAndRestored() throws Exception {
    client.resource(statefulSet("swap-sts", "ledger", APP, ModeFixtures.app())).create();
    StatefulSet before = client.apps().statefulSets().inNamespace("swap-sts").withName("ledger").get();
    InterceptTarget target = new InterceptTarget("swap-sts", "ledger", "StatefulSet", "ledger", "app", 8080, "http",
        80, new IntOrString("http"));
    SwapInstaller installer = new SwapInstaller(client);

    installer.install(target, AGENT, "alice-1");
    StatefulSet swapped = client.apps().statefulSets().inNamespace("swap-sts").withName("ledger").get();
    installer.uninstall("swap-sts", "StatefulSet", "ledger", "alice-1");

    assertThat(swapped.getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("devproxy-agent");
    StatefulSet after = client.apps().statefulSets().inNamespace("swap-sts").withName("ledger").get();
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
  }

  @Test
  void replicaSetIsRefusedNamingSwapMode() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> new SwapInstaller(client).install(
        new InterceptTarget("rs", "orders", "ReplicaSet", "orders", "app", 8080, "http", 80, null), AGENT, null));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).startsWith("swap mode supports Deployments and StatefulSets, not ReplicaSet");
  }
}

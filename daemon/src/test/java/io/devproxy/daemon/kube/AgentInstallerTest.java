package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.ModeFixtures.AGENT;
import static io.devproxy.daemon.kube.ModeFixtures.assertSameSpecAndMetadataMaps;
import static io.devproxy.daemon.kube.ModeFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class AgentInstallerTest {

  static KubernetesClient client;

  private static Deployment orders(String ns) {
    return client.apps().deployments().inNamespace(ns).withName("orders").get();
  }

  @Test
  void eachModeSaysWhichPodsRunTheAgentAndUninstallTakesItOut() throws Exception {
    AgentInstaller installer = new AgentInstaller(client);
    for (InterceptMode mode : InterceptMode.values()) {
      String ns = "entry-" + mode.id();
      ModeFixtures.createOrders(client, ns);
      Deployment before = orders(ns);

      AgentInstaller.Installed installed = installer.install(mode, target(ns), AGENT, "alice", "alice-1");

      assertThat(installed.mode()).isEqualTo(mode);
      assertThat(installed.reused()).isFalse();
      assertThat(installed.tunnelPort()).isEqualTo(8443);
      assertThat(installed.agentWorkloadKind()).isEqualTo("Deployment");
      assertThat(installed.agentWorkloadName()).as(mode.id())
          .isEqualTo(AgentInstaller.agentWorkloadName(mode, target(ns), "alice"))
          .isEqualTo(mode == InterceptMode.SHADOW ? "orders-devproxy-alice" : "orders");
      assertThat(installed.agentPort()).isEqualTo(mode == InterceptMode.SIDECAR ? 15000 : 8080);
      assertThat(installed.shadowService()).isEqualTo(mode == InterceptMode.SHADOW ? "orders-devproxy-alice" : null);
      Deployment agentPods = client.apps().deployments().inNamespace(ns).withName(installed.agentWorkloadName())
          .get();
      assertThat(agentPods.getSpec().getTemplate().getSpec().getContainers()).extracting("name").as(mode.id())
          .contains("devproxy-agent");

      installer.uninstall(installed);

      Deployment after = orders(ns);
      assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
      assertThat(client.apps().deployments().inNamespace(ns).list().getItems()).hasSize(1);
    }
  }

  @Test
  void sidecarIsSharedButSwapIsNotAndTheyExcludeEachOther() throws Exception {
    ModeFixtures.createOrders(client, "conflicts");
    AgentInstaller installer = new AgentInstaller(client);

    installer.install(InterceptMode.SIDECAR, target("conflicts"), AGENT, "alice", "alice-1");
    AgentInstaller.Installed shared = installer.install(InterceptMode.SIDECAR, target("conflicts"), AGENT, "bob",
        "bob-7");
    DevproxyException swapOnSidecar = catchThrowableOfType(DevproxyException.class,
        () -> installer.install(InterceptMode.SWAP, target("conflicts"), AGENT, "carol", "carol-3"));
    AgentInstaller.Installed shadowNextToSidecar = installer.install(InterceptMode.SHADOW, target("conflicts"), AGENT,
        "carol", "carol-3");

    assertThat(shared.reused()).isTrue();
    assertThat(swapOnSidecar.category()).isEqualTo(ErrorCategory.USER);
    assertThat(swapOnSidecar.getMessage()).contains("as a sidecar").contains("--mode sidecar");
    assertThat(shadowNextToSidecar.shadowDeployment()).isEqualTo("orders-devproxy-carol");

    installer.uninstall(InterceptMode.SIDECAR, target("conflicts"), null, null);
    installer.install(InterceptMode.SWAP, target("conflicts"), AGENT, "carol", "carol-3");
    DevproxyException sidecarOnSwap = catchThrowableOfType(DevproxyException.class,
        () -> installer.install(InterceptMode.SIDECAR, target("conflicts"), AGENT, "alice", "alice-1"));
    DevproxyException secondSwap = catchThrowableOfType(DevproxyException.class,
        () -> installer.install(InterceptMode.SWAP, target("conflicts"), AGENT, "bob", "bob-7"));

    assertThat(sidecarOnSwap.category()).isEqualTo(ErrorCategory.USER);
    assertThat(sidecarOnSwap.getMessage()).contains("already swapped by devproxy (session 'carol-3'");
    assertThat(secondSwap.getMessage()).contains("already swapped by devproxy (session 'carol-3'");

    installer.uninstall(InterceptMode.SIDECAR, target("conflicts"), null, "alice-1");
    assertThat(SwapInjection.isSwapped(orders("conflicts"))).as("a late sidecar leave keeps carol's swap").isTrue();
  }

  @Test
  void uninstallFromNamesAloneFindsTheShadow() throws Exception {
    ModeFixtures.createOrders(client, "by-names");
    AgentInstaller installer = new AgentInstaller(client);
    installer.install(InterceptMode.SHADOW, target("by-names"), AGENT, "alice", null);

    installer.uninstall(InterceptMode.SHADOW, target("by-names"), "alice", null);

    assertThat(client.apps().deployments().inNamespace("by-names").list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
    assertThat(client.services().inNamespace("by-names").list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
  }
}

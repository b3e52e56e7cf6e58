package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.ModeFixtures.assertSameSpecAndMetadataMaps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class ShadowInstallerTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final AgentSpec AGENT = AgentSpec.defaults("ghcr.io/devproxy/agent:1.0", "orders-devproxy-alice");

  private static void createOrders(String ns) {
    ModeFixtures.createOrders(client, ns);
  }

  private static Deployment deploymentNamed(String ns, String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  private static Service serviceNamed(String ns, String name) {
    return client.services().inNamespace(ns).withName(name).get();
  }

  @Test
  void installCreatesTheCopyAndItsServiceAndUninstallLeavesTheNamespaceAsItWas() throws Exception {
    createOrders("shadow");
    Deployment before = deploymentNamed("shadow", "orders");
    Service serviceBefore = serviceNamed("shadow", "orders");
    ShadowInstaller installer = new ShadowInstaller(client);

    ShadowInstaller.Installed installed = installer.install(ModeFixtures.target("shadow"), AGENT, "alice",
        "alice-1");

    assertThat(installed.deployment()).isEqualTo("orders-devproxy-alice");
    assertThat(installed.service()).isEqualTo("orders-devproxy-alice");
    assertThat(installed.reused()).isFalse();
    assertThat(installed.agentPort()).isEqualTo(8080);
    Deployment copy = deploymentNamed("shadow", "orders-devproxy-alice");
    assertThat(copy.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    assertThat(copy.getMetadata().getAnnotations()).containsEntry("devproxy.io/shadow-of", "orders")
        .containsEntry("devproxy.io/session", "alice-1");
    assertThat(copy.getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("log-shipper", "devproxy-agent", "exporter");
    Service shadowService = serviceNamed("shadow", "orders-devproxy-alice");
    assertThat(shadowService.getSpec().getSelector()).isEqualTo(Map.of("devproxy.io/shadow", "orders-devproxy-alice"));
    assertThat(shadowService.getMetadata().getAnnotations()).containsEntry("devproxy.io/shadow-of", "orders");
    assertThat(deploymentNamed("shadow", "orders").getMetadata().getResourceVersion()).as("original not written")
        .isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(serviceNamed("shadow", "orders").getMetadata().getResourceVersion()).as("original not written")
        .isEqualTo(serviceBefore.getMetadata().getResourceVersion());

    installer.uninstall("shadow", installed.deployment(), installed.service());

    assertThat(deploymentNamed("shadow", "orders-devproxy-alice")).isNull();
    assertThat(serviceNamed("shadow", "orders-devproxy-alice")).isNull();
    assertThat(client.apps().deployments().inNamespace("shadow").list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
    assertThat(client.services().inNamespace("shadow").list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
    Deployment after = deploymentNamed("shadow", "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    Service serviceAfter = serviceNamed("shadow", "orders");
    assertSameSpecAndMetadataMaps(serviceAfter, serviceBefore, serviceAfter.getSpec(), serviceBefore.getSpec());
  }

  @Test
  void aForbiddenServiceCreateDeletesTheCopyAgain() throws Exception {
    createOrders("shadow-forbidden");
    server.expect().post().withPath("/api/v1/namespaces/shadow-forbidden/services")
        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
            .withMessage("services is forbidden: User \"alice\" cannot create resource \"services\"").build())
        .once();

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> new ShadowInstaller(client)
        .install(ModeFixtures.target("shadow-forbidden"), AGENT, "alice", "alice-1"));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).startsWith("forbidden: create services in namespace shadow-forbidden")
        .endsWith("; the shadow Deployment 'orders-devproxy-alice' was deleted again");
    assertThat(deploymentNamed("shadow-forbidden", "orders-devproxy-alice")).isNull();
    assertThat(client.services().inNamespace("shadow-forbidden").list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
  }

  @Test
  void aServiceNameTakenByAnotherObjectIsRefusedAndTheCopyDeletedAgain() throws Exception {
    createOrders("shadow-taken");
    Service theirs = client.resource(service("shadow-taken", "orders-devproxy-alice", Map.of("app", "other"),
        servicePort("web", 80, new IntOrString(8080)))).create();

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> new ShadowInstaller(client)
        .install(ModeFixtures.target("shadow-taken"), AGENT, "alice", "alice-1"));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("Service 'orders-devproxy-alice' already exists in namespace 'shadow-taken'"
        + " and is an object devproxy did not create; delete or rename it; the shadow Deployment"
        + " 'orders-devproxy-alice' was deleted again");
    assertThat(deploymentNamed("shadow-taken", "orders-devproxy-alice")).isNull();
    Service still = serviceNamed("shadow-taken", "orders-devproxy-alice");
    assertThat(still.getMetadata().getResourceVersion()).isEqualTo(theirs.getMetadata().getResourceVersion());
  }

  @Test
  void aDeploymentNameTakenByAnotherObjectIsRefusedAndNothingIsCreated() throws Exception {
    createOrders("shadow-dtaken");
    client.resource(deployment("shadow-dtaken", "orders-devproxy-alice", Map.of("app", "other"), container("web")))
        .create();

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> new ShadowInstaller(client)
        .install(ModeFixtures.target("shadow-dtaken"), AGENT, "alice", "alice-1"));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("Deployment 'orders-devproxy-alice' already exists");
    assertThat(deploymentNamed("shadow-dtaken", "orders-devproxy-alice").getSpec().getSelector().getMatchLabels())
        .as("theirs, untouched").isEqualTo(Map.of("app", "other"));
    assertThat(serviceNamed("shadow-dtaken", "orders-devproxy-alice")).isNull();
  }

  @Test
  void theSameSessionReusesItsShadowAndAnotherSessionWithTheSameKeyIsTold() throws Exception {
    createOrders("shadow-again");
    ShadowInstaller installer = new ShadowInstaller(client);
    installer.install(ModeFixtures.target("shadow-again"), AGENT, "alice", "alice-1");
    String version = deploymentNamed("shadow-again", "orders-devproxy-alice").getMetadata().getResourceVersion();

    ShadowInstaller.Installed again = installer.install(ModeFixtures.target("shadow-again"), AGENT, "alice",
        "alice-1");
    DevproxyException other = catchThrowableOfType(DevproxyException.class,
        () -> installer.install(ModeFixtures.target("shadow-again"), AGENT, "alice", "alice-2"));

    assertThat(again.reused()).isTrue();
    assertThat(other.category()).isEqualTo(ErrorCategory.USER);
    assertThat(other.getMessage()).contains("is the devproxy shadow of session 'alice-1'");
    assertThat(deploymentNamed("shadow-again", "orders-devproxy-alice").getMetadata().getResourceVersion())
        .as("neither call wrote it, and the refused one did not delete it").isEqualTo(version);
    assertThat(serviceNamed("shadow-again", "orders-devproxy-alice")).isNotNull();
  }

  @Test
  void uninstallIsIdempotentAndNeverDeletesWhatDevproxyDidNotCreate() throws Exception {
    createOrders("shadow-idem");
    ShadowInstaller installer = new ShadowInstaller(client);

    installer.uninstall("shadow-idem", "orders-devproxy-alice", "orders-devproxy-alice");
    installer.uninstall("shadow-idem", "orders", "orders");

    assertThat(deploymentNamed("shadow-idem", "orders")).as("not a shadow").isNotNull();
    assertThat(serviceNamed("shadow-idem", "orders")).as("not a shadow").isNotNull();
    installer.install(ModeFixtures.target("shadow-idem"), AGENT, "alice", null);
    installer.uninstall("shadow-idem", "orders-devproxy-alice", "orders-devproxy-alice");
    installer.uninstall("shadow-idem", "orders-devproxy-alice", "orders-devproxy-alice");
    assertThat(deploymentNamed("shadow-idem", "orders-devproxy-alice")).isNull();
  }

  @Test
  void aSessionsLeftoversAreFoundByTheSessionAnnotation() throws Exception {
    createOrders("shadow-leftovers");
    ShadowInstaller installer = new ShadowInstaller(client);
    installer.install(ModeFixtures.target("shadow-leftovers"), AGENT, "alice", "alice-1");
    installer.install(ModeFixtures.target("shadow-leftovers"), AGENT, "bob", "bob-7");

    int deleted = installer.uninstallSession("shadow-leftovers", "alice-1");

    assertThat(deleted).isEqualTo(2);
    assertThat(client.apps().deployments().inNamespace("shadow-leftovers").list().getItems())
        .extracting("metadata.name").containsExactlyInAnyOrder("orders", "orders-devproxy-bob");
    assertThat(client.services().inNamespace("shadow-leftovers").list().getItems())
        .extracting("metadata.name").containsExactlyInAnyOrder("orders", "orders-devproxy-bob");
  }

  @Test
  void aStatefulSetIsRefusedBeforeAnyCall() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> new ShadowInstaller(client).install(
        new InterceptTarget("shadow-sts", "ledger", "StatefulSet", "ledger", "app", 8080, "http", 80, null), AGENT,
        "alice", null));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("shadow mode supports Deployments").contains("--mode sidecar");
  }
}

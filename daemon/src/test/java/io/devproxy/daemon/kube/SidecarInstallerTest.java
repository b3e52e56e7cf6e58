package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class SidecarInstallerTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final Map<String, String> APP = Map.of("app", "orders");
  private static final AgentSpec AGENT = AgentSpec.defaults("ghcr.io/devproxy/agent:1.0", "orders");

  private static Container app() {
    return new ContainerBuilder(container("app", port("http", 8080)))
        .withNewReadinessProbe().withNewHttpGet().withPath("/ready").withPort(new IntOrString("http")).endHttpGet()
        .endReadinessProbe().build();
  }

  private static void create(HasMetadata... objects) {
    for (HasMetadata o : objects) {
      client.resource(o).create();
    }
  }

  private static Deployment getDeployment(String ns) {
    return client.apps().deployments().inNamespace(ns).withName("orders").get();
  }

  private static Service getService(String ns) {
    return client.services().inNamespace(ns).withName("orders").get();
  }

  private static InterceptTarget target(String ns, String kind, IntOrString targetPort) {
    return new InterceptTarget(ns, "orders", kind, "orders", "app", 8080, "http", 80, targetPort);
  }

  private static void assertSameSpecAndLabels(HasMetadata after, HasMetadata before, Object afterSpec,
      Object beforeSpec) {
    assertThat(afterSpec).isEqualTo(beforeSpec);
    assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());
    assertThat(after.getMetadata().getAnnotations()).isEqualTo(before.getMetadata().getAnnotations());
  }

  @Test
  void namedTargetPortInstallsTheAgentAndUninstallRestoresTheDeploymentExactly() throws Exception {
    create(deployment("named", "orders", APP, app()),
        service("named", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    Deployment before = getDeployment("named");
    Service serviceBefore = getService("named");
    SidecarInstaller installer = new SidecarInstaller(client);

    SidecarInstaller.Installed installed = installer.install(target("named", "Deployment", new IntOrString("http")),
        AGENT);

    assertThat(installed.reused()).isFalse();
    assertThat(installed.agentPort()).isEqualTo(15000);
    Deployment patched = getDeployment("named");
    assertThat(patched.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    assertThat(patched.getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("app", "devproxy-agent");
    Container app = patched.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(app.getPorts().get(0).getName()).isEqualTo("http-app");
    assertThat(app.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString("http-app"));
    assertThat(getService("named").getMetadata().getResourceVersion())
        .as("the Service is not written for a named targetPort")
        .isEqualTo(serviceBefore.getMetadata().getResourceVersion());

    installer.uninstall("named", "Deployment", "orders");

    Deployment after = getDeployment("named");
    assertSameSpecAndLabels(after, before, after.getSpec(), before.getSpec());
  }

  @Test
  void numericTargetPortRetargetsTheServiceAndUninstallRestoresBoth() throws Exception {
    create(deployment("numeric", "orders", APP, app()),
        service("numeric", "orders", APP, servicePort("web", 80, new IntOrString(8080))));
    Deployment before = getDeployment("numeric");
    Service serviceBefore = getService("numeric");
    SidecarInstaller installer = new SidecarInstaller(client);

    installer.install(target("numeric", "Deployment", new IntOrString(8080)), AGENT);

    Service patched = getService("numeric");
    assertThat(patched.getSpec().getPorts().get(0).getTargetPort()).isEqualTo(new IntOrString(15000));
    assertThat(patched.getMetadata().getAnnotations()).containsKey("devproxy.io/restore");
    assertThat(getDeployment("numeric").getSpec().getTemplate().getSpec().getContainers().get(0))
        .isEqualTo(before.getSpec().getTemplate().getSpec().getContainers().get(0));

    installer.uninstall("numeric", "Deployment", "orders");

    Service serviceAfter = getService("numeric");
    assertSameSpecAndLabels(serviceAfter, serviceBefore, serviceAfter.getSpec(), serviceBefore.getSpec());
    Deployment after = getDeployment("numeric");
    assertSameSpecAndLabels(after, before, after.getSpec(), before.getSpec());
  }

  @Test
  void secondInstallReusesTheAgentWithoutWritingAgain() throws Exception {
    create(deployment("reuse", "orders", APP, app()),
        service("reuse", "orders", APP, servicePort("web", 80, new IntOrString(8080))));
    SidecarInstaller installer = new SidecarInstaller(client);
    installer.install(target("reuse", "Deployment", new IntOrString(8080)), AGENT);
    Deployment first = getDeployment("reuse");
    Service firstService = getService("reuse");

    SidecarInstaller.Installed again = installer.install(target("reuse", "Deployment", new IntOrString(8080)), AGENT);

    assertThat(again.reused()).isTrue();
    assertThat(again.agentPort()).isEqualTo(15000);
    Deployment second = getDeployment("reuse");
    assertThat(second.getMetadata().getResourceVersion()).isEqualTo(first.getMetadata().getResourceVersion());
    assertThat(second.getMetadata().getGeneration()).isEqualTo(first.getMetadata().getGeneration());
    assertThat(getService("reuse").getMetadata().getResourceVersion())
        .isEqualTo(firstService.getMetadata().getResourceVersion());
  }

  @Test
  void uninstallIsIdempotent() throws Exception {
    create(deployment("idem", "orders", APP, app()),
        service("idem", "orders", APP, servicePort("web", 80, new IntOrString(8080))));
    SidecarInstaller installer = new SidecarInstaller(client);
    String untouched = getDeployment("idem").getMetadata().getResourceVersion();

    installer.uninstall("idem", "Deployment", "orders");
    assertThat(getDeployment("idem").getMetadata().getResourceVersion()).isEqualTo(untouched);

    installer.install(target("idem", "Deployment", new IntOrString(8080)), AGENT);
    installer.uninstall("idem", "Deployment", "orders");
    String restored = getDeployment("idem").getMetadata().getResourceVersion();
    installer.uninstall("idem", "Deployment", "orders");
    installer.uninstall("idem", "Deployment", "gone");

    assertThat(getDeployment("idem").getMetadata().getResourceVersion()).isEqualTo(restored);
  }

  @Test
  void statefulSetInstallsAndRestores() throws Exception {
    create(statefulSet("sts", "orders", APP, app()),
        service("sts", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    StatefulSet before = client.apps().statefulSets().inNamespace("sts").withName("orders").get();
    SidecarInstaller installer = new SidecarInstaller(client);

    installer.install(target("sts", "StatefulSet", new IntOrString("http")), AGENT);

    StatefulSet patched = client.apps().statefulSets().inNamespace("sts").withName("orders").get();
    assertThat(patched.getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("app", "devproxy-agent");

    installer.uninstall("sts", "StatefulSet", "orders");

    StatefulSet after = client.apps().statefulSets().inNamespace("sts").withName("orders").get();
    assertSameSpecAndLabels(after, before, after.getSpec(), before.getSpec());
  }

  @Test
  void failedServiceUpdateRollsTheDeploymentBack() throws Exception {
    create(deployment("rollback", "orders", APP, app()),
        service("rollback", "orders", APP, servicePort("web", 80, new IntOrString(8080))));
    Deployment before = getDeployment("rollback");
    Service serviceBefore = getService("rollback");
    server.expect().put().withPath("/api/v1/namespaces/rollback/services/orders")
        .andReturn(422, new StatusBuilder().withStatus("Failure").withCode(422).withReason("Invalid")
            .withMessage("admission webhook \"policy.example.com\" denied the request").build())
        .always();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> new SidecarInstaller(client).install(target("rollback", "Deployment", new IntOrString(8080)), AGENT));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage())
        .startsWith("cannot update services in namespace rollback: admission webhook \"policy.example.com\" denied")
        .endsWith("; Deployment 'orders' was restored to its original spec");
    Deployment after = getDeployment("rollback");
    assertThat(after.getMetadata().getResourceVersion()).as("written twice")
        .isNotEqualTo(before.getMetadata().getResourceVersion());
    assertSameSpecAndLabels(after, before, after.getSpec(), before.getSpec());
    Service serviceAfter = getService("rollback");
    assertSameSpecAndLabels(serviceAfter, serviceBefore, serviceAfter.getSpec(), serviceBefore.getSpec());
  }

  @Test
  void concurrentChangeToTheDeploymentIsPlannedAgainOnTheFreshObject() throws Exception {
    create(deployment("conflict", "orders", APP, app()),
        service("conflict", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    server.expect().put().withPath("/apis/apps/v1/namespaces/conflict/deployments/orders")
        .andReturn(409, new StatusBuilder().withStatus("Failure").withCode(409).withReason("Conflict")
            .withMessage("the object has been modified").build())
        .once();

    SidecarInstaller.Installed installed = new SidecarInstaller(client)
        .install(target("conflict", "Deployment", new IntOrString("http")), AGENT);

    assertThat(installed.reused()).isFalse();
    assertThat(getDeployment("conflict").getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("app", "devproxy-agent");
  }

  @Test
  void replicaSetIsRefusedWithTheFix() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> new SidecarInstaller(client).install(target("rs", "ReplicaSet", new IntOrString("http")), AGENT));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("not ReplicaSet");
  }
}

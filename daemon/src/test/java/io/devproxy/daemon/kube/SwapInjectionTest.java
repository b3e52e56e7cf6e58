package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.ModeFixtures.AGENT;
import static io.devproxy.daemon.kube.ModeFixtures.APP;
import static io.devproxy.daemon.kube.ModeFixtures.app;
import static io.devproxy.daemon.kube.ModeFixtures.fromApi;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.groups.Tuple.tuple;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwapInjectionTest {

  private static Deployment orders() {
    return ModeFixtures.orders("shop");
  }

  private static InterceptTarget target() {
    return ModeFixtures.target("shop");
  }

  private static PodSpec pod(Deployment d) {
    return d.getSpec().getTemplate().getSpec();
  }

  private static EnvVar env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElse(null);
  }

  @Test
  void theAgentTakesTheAppsPlaceAndKeepsItsEnvironmentMountsAndPorts() throws Exception {
    Deployment original = orders();
    Container app = app();

    SwapInjection.Plan<Deployment> plan = SwapInjection.plan(original, target(), AGENT, "alice-1");

    assertThat(plan.reuse()).isFalse();
    assertThat(plan.agentPort()).isEqualTo(8080);
    assertThat(pod(plan.workload()).getContainers()).extracting("name")
        .containsExactly("log-shipper", "devproxy-agent", "exporter");
    Container agent = pod(plan.workload()).getContainers().get(1);
    assertThat(agent.getImage()).isEqualTo("ghcr.io/devproxy/agent:1.0");
    assertThat(agent.getCommand()).as("the agent image's entrypoint, not the app's").isNullOrEmpty();
    assertThat(agent.getEnv().subList(0, 2)).as("the app's env first, in order")
        .containsExactlyElementsOf(fromApi(app).getEnv());
    assertThat(agent.getEnvFrom()).isEqualTo(fromApi(app).getEnvFrom());
    assertThat(agent.getEnv()).extracting("name").doesNotContain("DEVPROXY_APP", "DEVPROXY_APP_PROTOCOL");
    assertThat(env(agent, "DEVPROXY_LISTEN").getValue()).isEqualTo("0.0.0.0:8080");
    assertThat(env(agent, "DEVPROXY_WORKLOAD").getValue()).as("the lease janitor restores this workload")
        .isEqualTo("Deployment/orders");
    assertThat(env(agent, "DEVPROXY_SHADOW_SERVICE")).isNull();
    assertThat(agent.getVolumeMounts()).extracting("name", "mountPath")
        .containsExactly(tuple("config", "/config"), tuple("devproxy-agent-tls", "/etc/devproxy/tls"));
    assertThat(agent.getPorts()).extracting("name", "containerPort").containsExactly(
        tuple("http", 8080), tuple("metrics", 9102), tuple("devproxy-tunnel", 8443), tuple("devproxy-admin", 9901));
    assertThat(pod(plan.workload()).getVolumes()).extracting("name").containsExactly("config", "devproxy-agent-tls");
  }

  @Test
  void theAppsProbesAreReplacedByTheAgentsAndItsHooksDropped() throws Exception {
    Container agent = pod(SwapInjection.plan(orders(), target(), AGENT, null).workload()).getContainers().get(1);

    assertThat(agent.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(agent.getLivenessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(9901));
    assertThat(agent.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(agent.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(9901));
    assertThat(agent.getStartupProbe()).isNull();
    assertThat(agent.getLifecycle()).isNull();
    assertThat(agent.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(agent.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(agent.getResources()).isEqualTo(AGENT.resources());
  }

  @Test
  void otherContainersAndTheServiceAreUntouched() throws Exception {
    Deployment original = orders();
    Deployment before = fromApi(original);

    Deployment patched = SwapInjection.plan(original, target(), AGENT, null).workload();

    assertThat(original).as("input untouched").isEqualTo(before);
    assertThat(pod(patched).getContainers().get(0)).isEqualTo(pod(original).getContainers().get(0));
    assertThat(pod(patched).getContainers().get(2)).isEqualTo(pod(original).getContainers().get(2));
    assertThat(patched.getSpec().getSelector()).isEqualTo(original.getSpec().getSelector());
    assertThat(patched.getSpec().getTemplate().getMetadata()).isEqualTo(original.getSpec().getTemplate().getMetadata());
    assertThat(patched.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy")
        .containsEntry("team", "payments");
  }

  @Test
  void restorePutsTheAppBackInItsPlaceFieldForField() throws Exception {
    Deployment original = orders();

    Deployment patched = fromApi(SwapInjection.plan(original, target(), AGENT, "alice-1").workload());
    Deployment restored = SwapInjection.restore(patched);

    assertThat(restored.getSpec()).isEqualTo(original.getSpec());
    assertThat(restored.getMetadata().getLabels()).isEqualTo(original.getMetadata().getLabels());
    assertThat(restored.getMetadata().getAnnotations()).isEqualTo(original.getMetadata().getAnnotations());
    assertThat(SwapInjection.isSwapped(restored)).isFalse();
  }

  @Test
  void jvmOptionsOfTheAppDoNotReachTheAgentsJvmButStayOnRecord() throws Exception {
    Container app = new ContainerBuilder(app())
        .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-javaagent:/otel/agent.jar -Xmx2g").endEnv()
        .build();
    Deployment original = fromApi(deployment("shop", "orders", APP, app));

    Deployment patched = fromApi(SwapInjection.plan(original, target(), AGENT, null).workload());

    Container agent = pod(patched).getContainers().get(0);
    assertThat(agent.getEnv()).filteredOn(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).singleElement()
        .satisfies(e -> assertThat(e.getValue()).isEmpty());
    assertThat(agent.getEnv()).as("envFrom might carry them").extracting("name")
        .contains("JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");
    assertThat(agent.getEnv()).extracting("name").containsSubsequence("SPRING_PROFILES_ACTIVE", "DB_PASSWORD",
        "JAVA_TOOL_OPTIONS", "DEVPROXY_LISTEN");
    assertThat(SwapInjection.originalContainer(patched)).isEqualTo(fromApi(app));
  }

  @Test
  void aPortTheAppDoesNotDeclareIsDeclaredForTheAgent() throws Exception {
    Deployment original = fromApi(deployment("shop", "orders", APP, container("app")));
    InterceptTarget numeric = new InterceptTarget("shop", "orders", "Deployment", "orders", "app", 8080, null, 80,
        new IntOrString(8080));

    Container agent = pod(SwapInjection.plan(original, numeric, AGENT, null).workload()).getContainers().get(0);

    assertThat(agent.getPorts()).extracting("name", "containerPort").containsExactly(
        tuple(null, 8080), tuple("devproxy-tunnel", 8443), tuple("devproxy-admin", 9901));
  }

  @Test
  void aSessionReusesItsOwnSwapAndAnotherSessionIsToldWhoHoldsIt() throws Exception {
    Deployment swapped = fromApi(SwapInjection.plan(orders(), target(), AGENT, "alice-1").workload());

    SwapInjection.Plan<Deployment> again = SwapInjection.plan(swapped, target(), AGENT, "alice-1");
    DevproxyException other = catchThrowableOfType(DevproxyException.class,
        () -> SwapInjection.plan(swapped, target(), AGENT, "bob-7"));

    assertThat(again.reuse()).isTrue();
    assertThat(again.workload()).isSameAs(swapped);
    assertThat(again.agentPort()).isEqualTo(8080);
    assertThat(other.category()).isEqualTo(ErrorCategory.USER);
    assertThat(other.getMessage()).isEqualTo("Deployment 'orders' in namespace 'shop' is already swapped by devproxy"
        + " (session 'alice-1', container 'app' replaced by the agent); run 'devproxy leave' in that session (or"
        + " 'devproxy uninstall'), or use --mode shadow");
  }

  @Test
  void aWorkloadRunningTheSidecarIsNotSwappedAndASwappedOneGetsNoSidecar() throws Exception {
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    Deployment withSidecar = fromApi(SidecarInjection.plan(orders(), svc, target(), AGENT).workload());
    Deployment swapped = fromApi(SwapInjection.plan(orders(), target(), AGENT, "alice-1").workload());

    DevproxyException swap = catchThrowableOfType(DevproxyException.class,
        () -> SwapInjection.plan(withSidecar, target(), AGENT, "bob-7"));
    DevproxyException sidecar = catchThrowableOfType(DevproxyException.class,
        () -> SidecarInjection.plan(swapped, svc, target(), AGENT));

    assertThat(swap.category()).isEqualTo(ErrorCategory.USER);
    assertThat(swap.getMessage()).contains("already runs the devproxy agent as a sidecar")
        .contains("--mode sidecar");
    assertThat(sidecar.category()).isEqualTo(ErrorCategory.USER);
    assertThat(sidecar.getMessage()).contains("already swapped by devproxy (session 'alice-1'")
        .contains("devproxy leave");
  }

  @Test
  void theAgentsOwnPortsAndTlsDirectoryMustBeFree() {
    Deployment tunnelPortTaken = fromApi(deployment("shop", "orders", APP, container("app", port("http", 8080)),
        container("envoy", port("admin", 9901))));
    Container mountsTls = new ContainerBuilder(container("app", port("http", 8080))).addToVolumeMounts(
        new VolumeMountBuilder().withName("certs").withMountPath("/etc/devproxy/tls").build()).build();
    Deployment tlsDirTaken = fromApi(deployment("shop", "orders", APP, mountsTls));
    InterceptTarget onTunnelPort = new InterceptTarget("shop", "orders", "Deployment", "orders", "app", 8443, null,
        80, new IntOrString(8443));

    assertThat(catchThrowableOfType(DevproxyException.class,
        () -> SwapInjection.plan(tunnelPortTaken, target(), AGENT, null))).hasMessageContaining("port 9901");
    assertThat(catchThrowableOfType(DevproxyException.class,
        () -> SwapInjection.plan(tlsDirTaken, target(), AGENT, null))).hasMessageContaining("/etc/devproxy/tls");
    assertThat(catchThrowableOfType(DevproxyException.class,
        () -> SwapInjection.plan(fromApi(deployment("shop", "orders", APP, container("app"))), onTunnelPort, AGENT,
            null))).hasMessageContaining("serves port 8443 which the agent needs");
    assertThat(catchThrowableOfType(DevproxyException.class,
        () -> SwapInjection.plan(fromApi(deployment("shop", "orders", APP, container("web"))), target(), AGENT,
            null))).hasMessageContaining("has no container 'app' any more");
  }

  @Test
  void statefulSetIsSwappedAndRestoredThroughTheSameCode() throws Exception {
    StatefulSet original = fromApi(statefulSet("shop", "ledger", APP, app()));
    InterceptTarget target = new InterceptTarget("shop", "ledger", "StatefulSet", "ledger", "app", 8080, "http", 80,
        new IntOrString("http"));

    SwapInjection.Plan<StatefulSet> plan = SwapInjection.plan(original, target, AGENT, null);

    assertThat(plan.workload().getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("devproxy-agent");
    StatefulSet restored = SwapInjection.restore(fromApi(plan.workload()));
    assertThat(restored.getSpec()).isEqualTo(original.getSpec());
    assertThat(restored.getMetadata()).isEqualTo(original.getMetadata());
  }

  @Test
  void swapAddsTheAgentsPullSecretsAndRestoreRemovesThem() throws Exception {
    Deployment original = orders();
    pod(original).setImagePullSecrets(List.of(new LocalObjectReference("mirror")));
    original = ModeFixtures.fromApi(original);
    AgentSpec agent = new AgentSpec(AGENT.image(), AGENT.tunnelPort(), AGENT.adminPort(), AGENT.resources(),
        AGENT.tlsSecretName(), List.of("mirror", "regcred"));

    Deployment swapped = ModeFixtures.fromApi(SwapInjection.plan(original, target(), agent, "alice-1").workload());

    assertThat(pod(swapped).getImagePullSecrets()).extracting("name").containsExactly("mirror", "regcred");
    assertThat(SwapInjection.restore(swapped).getSpec()).isEqualTo(original.getSpec());
  }
}

package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.groups.Tuple.tuple;

import io.devproxy.daemon.DaemonConfig;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SidecarInjectionTest {

  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final Map<String, String> APP = Map.of("app", "orders");
  private static final AgentSpec AGENT = AgentSpec.defaults("ghcr.io/devproxy/agent:1.0", "orders");

  /** The object as the API server would hand it back (JSON does not tell a null list from an empty one). */
  private static <T> T fromApi(T object) {
    return JSON.clone(object);
  }

  private static Container appWithProbes() {
    return new ContainerBuilder(container("app", port("http", 8080), port("metrics", 9102)))
        .withNewLivenessProbe().withNewHttpGet().withPath("/health").withPort(new IntOrString("http")).endHttpGet()
        .endLivenessProbe()
        .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString("http")).endTcpSocket()
        .endReadinessProbe()
        .withNewStartupProbe().withNewHttpGet().withPath("/started").withPort(new IntOrString(8080)).endHttpGet()
        .endStartupProbe()
        .build();
  }

  private static Deployment namedDeployment() {
    Deployment d = deployment("shop", "orders", APP, appWithProbes());
    d.getMetadata().setLabels(Map.of("team", "payments"));
    d.getMetadata().setAnnotations(Map.of("deployment.kubernetes.io/revision", "3"));
    return fromApi(d);
  }

  private static InterceptTarget named() {
    return new InterceptTarget("shop", "orders", "Deployment", "orders", "app", 8080, "http", 80,
        new IntOrString("http"));
  }

  private static InterceptTarget numeric() {
    return new InterceptTarget("shop", "orders", "Deployment", "orders", "app", 8080, "http", 80,
        new IntOrString(8080));
  }

  private static Container containerNamed(Deployment d, String name) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals(name))
        .findFirst().orElseThrow();
  }

  private static Map<String, String> env(Container c) {
    return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  @Test
  void namedTargetPortIsTakenOverByTheAgentAndTheAppPortRenamed() throws Exception {
    Deployment original = namedDeployment();
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    SidecarInjection.Plan<Deployment> plan = SidecarInjection.plan(original, svc, named(), AGENT);

    assertThat(plan.workloadChanged()).isTrue();
    assertThat(plan.serviceChanged()).isFalse();
    assertThat(plan.service()).isSameAs(svc);
    assertThat(plan.agentPort()).isEqualTo(15000);
    Container app = containerNamed(plan.workload(), "app");
    assertThat(app.getPorts()).extracting("name", "containerPort")
        .containsExactly(tuple("http-app", 8080),
            tuple("metrics", 9102));
    assertThat(app.getLivenessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString("http-app"));
    assertThat(app.getReadinessProbe().getTcpSocket().getPort()).isEqualTo(new IntOrString("http-app"));
    assertThat(app.getStartupProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(8080));
    Container agent = containerNamed(plan.workload(), "devproxy-agent");
    assertThat(agent.getImage()).isEqualTo("ghcr.io/devproxy/agent:1.0");
    assertThat(agent.getPorts()).extracting("name", "containerPort")
        .contains(tuple("http", 15000));
    assertThat(env(agent)).containsEntry("DEVPROXY_LISTEN", "0.0.0.0:15000")
        .containsEntry("DEVPROXY_APP", "127.0.0.1:8080")
        .containsEntry("DEVPROXY_TUNNEL_LISTEN", "0.0.0.0:8443")
        .containsEntry("DEVPROXY_ADMIN_LISTEN", "0.0.0.0:9901")
        .containsEntry("DEVPROXY_TLS_DIR", "/etc/devproxy/tls")
        .containsEntry("DEVPROXY_APP_PROTOCOL", "auto")
        .containsEntry("DEVPROXY_WORKLOAD", "Deployment/orders")
        .doesNotContainKey("DEVPROXY_SHADOW_SERVICE");
    assertThat(plan.workload().getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "devproxy").containsEntry("team", "payments");
    assertThat(plan.workload().getMetadata().getAnnotations()).containsKey("devproxy.io/restore");
  }

  @Test
  void restoreGivesBackTheNamedPortWorkloadFieldForField() throws Exception {
    Deployment original = namedDeployment();
    Deployment before = fromApi(original);
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    Deployment patched = fromApi(SidecarInjection.plan(original, svc, named(), AGENT).workload());
    Deployment restored = SidecarInjection.restore(patched);

    assertThat(original).as("input untouched").isEqualTo(before);
    assertThat(restored.getSpec()).isEqualTo(original.getSpec());
    assertThat(restored.getMetadata().getLabels()).isEqualTo(original.getMetadata().getLabels());
    assertThat(restored.getMetadata().getAnnotations()).isEqualTo(original.getMetadata().getAnnotations());
  }

  @Test
  void numericTargetPortPointsTheServiceAtTheAgentAndRestores() throws Exception {
    Deployment original = namedDeployment();
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString(8080)),
        servicePort("admin", 81, new IntOrString(8081))));
    Service svcBefore = fromApi(svc);

    SidecarInjection.Plan<Deployment> plan = SidecarInjection.plan(original, svc, numeric(), AGENT);

    assertThat(plan.serviceChanged()).isTrue();
    assertThat(plan.service().getSpec().getPorts()).extracting("port", "targetPort")
        .containsExactly(tuple(80, new IntOrString(15000)),
            tuple(81, new IntOrString(8081)));
    assertThat(plan.service().getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    Container app = containerNamed(plan.workload(), "app");
    assertThat(app).isEqualTo(containerNamed(original, "app"));
    Container agent = containerNamed(plan.workload(), "devproxy-agent");
    assertThat(agent.getPorts().get(0).getName()).isNull();
    assertThat(agent.getPorts().get(0).getContainerPort()).isEqualTo(15000);
    assertThat(env(agent)).containsEntry("DEVPROXY_APP", "127.0.0.1:8080");

    Service restored = SidecarInjection.restore(fromApi(plan.service()));
    assertThat(svc).as("input untouched").isEqualTo(svcBefore);
    assertThat(restored.getSpec()).isEqualTo(svc.getSpec());
    assertThat(restored.getMetadata().getLabels()).isEqualTo(svc.getMetadata().getLabels());
    assertThat(restored.getMetadata().getAnnotations()).isEqualTo(svc.getMetadata().getAnnotations());
    Deployment restoredDeployment = SidecarInjection.restore(fromApi(plan.workload()));
    assertThat(restoredDeployment.getSpec()).isEqualTo(original.getSpec());
  }

  @Test
  void restoreOfObjectsBuiltWithoutLabelsOrVolumesGivesTheSameMapsAndListsBack() throws Exception {
    Deployment original = deployment("shop", "orders", APP, container("app", port("http", 8080)));
    Service svc = service("shop", "orders", APP, servicePort("web", 80, new IntOrString(8080)));

    SidecarInjection.Plan<Deployment> plan = SidecarInjection.plan(original, svc, numeric(), AGENT);

    Deployment restored = SidecarInjection.restore(plan.workload());
    assertThat(restored.getMetadata()).isEqualTo(original.getMetadata());
    assertThat(restored.getSpec().getTemplate().getSpec().getVolumes())
        .isEqualTo(original.getSpec().getTemplate().getSpec().getVolumes());
    assertThat(SidecarInjection.restore(plan.service()).getMetadata()).isEqualTo(svc.getMetadata());
  }

  @Test
  void labelsTheUserAddsMeanwhileSurviveAndAReplacedManagedByComesBack() throws Exception {
    Deployment original = namedDeployment();
    original.getMetadata().getLabels().put("app.kubernetes.io/managed-by", "Helm");
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    Deployment patched = fromApi(SidecarInjection.plan(original, svc, named(), AGENT).workload());
    assertThat(patched.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    patched.getMetadata().getLabels().put("owner", "alice");
    patched.getMetadata().getAnnotations().put("note", "kept");

    Deployment restored = SidecarInjection.restore(patched);

    assertThat(restored.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "Helm")
        .containsEntry("owner", "alice").containsEntry("team", "payments");
    assertThat(restored.getMetadata().getAnnotations()).containsOnlyKeys("deployment.kubernetes.io/revision", "note");
  }

  @Test
  void probeOnAPortNumberIsLeftAlone() throws Exception {
    Container app = new ContainerBuilder(container("app", port("http", 8080)))
        .withNewLivenessProbe().withNewHttpGet().withPath("/health").withPort(new IntOrString(8080)).endHttpGet()
        .endLivenessProbe()
        .withNewReadinessProbe().withNewGrpc().withPort(8080).endGrpc().endReadinessProbe()
        .build();
    Deployment original = fromApi(deployment("shop", "orders", APP, app));
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    Container patched = containerNamed(SidecarInjection.plan(original, svc, named(), AGENT).workload(), "app");

    assertThat(patched.getLivenessProbe()).isEqualTo(app.getLivenessProbe());
    assertThat(patched.getReadinessProbe()).isEqualTo(fromApi(app).getReadinessProbe());
    assertThat(patched.getPorts().get(0).getName()).isEqualTo("http-app");
  }

  @Test
  void inAMultiContainerPodOnlyTheTargetContainerIsTouched() throws Exception {
    Container exporter = new ContainerBuilder(container("exporter", port("http", 15000)))
        .withNewLivenessProbe().withNewHttpGet().withPath("/").withPort(new IntOrString("http")).endHttpGet()
        .endLivenessProbe().build();
    Deployment original = fromApi(deployment("shop", "orders", APP, container("app", port("http", 8080)), exporter));
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    SidecarInjection.Plan<Deployment> plan = SidecarInjection.plan(original, svc, named(), AGENT);

    assertThat(containerNamed(plan.workload(), "exporter")).isEqualTo(containerNamed(original, "exporter"));
    assertThat(containerNamed(plan.workload(), "app").getPorts().get(0).getName()).isEqualTo("http-app");
    assertThat(plan.agentPort()).as("15000 is taken by the exporter").isEqualTo(15001);
    assertThat(plan.workload().getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("app", "exporter", "devproxy-agent");
    assertThat(SidecarInjection.restore(fromApi(plan.workload())).getSpec()).isEqualTo(original.getSpec());
  }

  @Test
  void agentRunsNonRootReadOnlyWithoutCapabilitiesAndMountsTheTlsSecret() throws Exception {
    Deployment original = namedDeployment();
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    Deployment patched = SidecarInjection.plan(original, svc, named(), AGENT).workload();

    Container agent = containerNamed(patched, "devproxy-agent");
    var sc = agent.getSecurityContext();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getRunAsUser()).isEqualTo(65532L);
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(agent.getResources().getRequests()).containsOnly(Map.entry("cpu", new Quantity("50m")),
        Map.entry("memory", new Quantity("80Mi")));
    assertThat(agent.getResources().getLimits()).as("no CPU limit: a throttled agent delays every request")
        .containsOnly(Map.entry("memory", new Quantity("128Mi")));
    assertThat(agent.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(agent.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(9901));
    assertThat(agent.getVolumeMounts()).singleElement().satisfies(m -> {
      assertThat(m.getName()).isEqualTo("devproxy-agent-tls");
      assertThat(m.getMountPath()).isEqualTo("/etc/devproxy/tls");
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(patched.getSpec().getTemplate().getSpec().getVolumes()).singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("devproxy-agent-tls-orders"));
  }

  @Test
  void aWorkloadThatAlreadyHasTheAgentIsReused() throws Exception {
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    Deployment patched = fromApi(SidecarInjection.plan(namedDeployment(), svc, named(), AGENT).workload());

    SidecarInjection.Plan<Deployment> again = SidecarInjection.plan(patched, svc, named(), AGENT);

    assertThat(again.reuse()).isTrue();
    assertThat(again.workload()).isSameAs(patched);
    assertThat(again.service()).isSameAs(svc);
    assertThat(again.agentPort()).isEqualTo(15000);
  }

  @Test
  void aServiceLeftPointingAtTheAppAfterACrashIsRetargetedOnReuse() throws Exception {
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString(8080))));
    SidecarInjection.Plan<Deployment> first = SidecarInjection.plan(namedDeployment(), svc, numeric(), AGENT);
    Deployment patched = fromApi(first.workload()); // written; the Service write never happened

    SidecarInjection.Plan<Deployment> again = SidecarInjection.plan(patched, svc, numeric(), AGENT);
    SidecarInjection.Plan<Deployment> done = SidecarInjection.plan(patched, fromApi(again.service()), numeric(), AGENT);

    assertThat(again.workloadChanged()).isFalse();
    assertThat(again.serviceChanged()).isTrue();
    assertThat(again.service()).isEqualTo(first.service());
    assertThat(done.reuse()).as("once written, the Service is left alone").isTrue();
  }

  @Test
  void statefulSetIsPatchedAndRestoredThroughTheSameCode() throws Exception {
    StatefulSet original = fromApi(statefulSet("shop", "ledger", APP, appWithProbes()));
    Service svc = fromApi(service("shop", "ledger", APP, servicePort("web", 80, new IntOrString("http"))));
    InterceptTarget target = new InterceptTarget("shop", "ledger", "StatefulSet", "ledger", "app", 8080, "http", 80,
        new IntOrString("http"));

    SidecarInjection.Plan<StatefulSet> plan = SidecarInjection.plan(original, svc, target, AGENT);

    assertThat(plan.workload().getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("app", "devproxy-agent");
    assertThat(env(plan.workload().getSpec().getTemplate().getSpec().getContainers().get(1)))
        .containsEntry("DEVPROXY_WORKLOAD", "StatefulSet/ledger");
    StatefulSet restored = SidecarInjection.restore(fromApi(plan.workload()));
    assertThat(restored.getSpec()).isEqualTo(original.getSpec());
    assertThat(restored.getMetadata()).isEqualTo(original.getMetadata());
  }

  @Test
  void agentPortAlreadyUsedByTheAppIsAUserError() {
    Deployment original = fromApi(deployment("shop", "orders", APP, container("app", port("http", 8080),
        port("tls", 8443))));
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> SidecarInjection.plan(original, svc, named(), AGENT));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("Deployment 'orders' in namespace 'shop' already uses port 8443 which the"
        + " agent needs; choose other agent ports");
  }

  @Test
  void renamedPortNameKeepsToFifteenCharactersAndAvoidsNamesInUse() {
    assertThat(SidecarInjection.renamedPortName("http", Set.of())).isEqualTo("http-app");
    assertThat(SidecarInjection.renamedPortName("http", Set.of("http-app"))).isEqualTo("http-app2");
    assertThat(SidecarInjection.renamedPortName("very-long-name1", Set.of())).isEqualTo("very-long-n-app");
    assertThat(SidecarInjection.renamedPortName("abcdefghij-klmn", Set.of())).isEqualTo("abcdefghij-app");
    assertThat(SidecarInjection.renamedPortName("8080-web", Set.of())).matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?")
        .hasSizeLessThanOrEqualTo(15);
  }

  @Test
  void restoreOfAnObjectDevproxyNeverChangedIsACopy() {
    Deployment d = namedDeployment();
    assertThat(SidecarInjection.restore(d)).isEqualTo(d).isNotSameAs(d);
    assertThat(new DeploymentBuilder(d).build()).isEqualTo(d);
  }

  private static List<String> pullSecrets(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getImagePullSecrets().stream().map(LocalObjectReference::getName)
        .toList();
  }

  private static AgentSpec agentWith(DaemonConfig.AgentPod pod) {
    DaemonConfig config = new DaemonConfig("registry.example.com/agent:1", 8443, 9901, java.time.Duration.ofSeconds(30),
        java.time.Duration.ofSeconds(120), "", 0, pod);
    return AgentSpec.of(config, config.agentImage(), "orders");
  }

  @Test
  void theAgentGetsTheConfiguredResourcesAndNoneWhereTheConfigSaysNone() throws Exception {
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    AgentSpec agent = agentWith(new DaemonConfig.AgentPod("250m", null, "1", "300Mi", List.of()));

    Container injected = containerNamed(SidecarInjection.plan(namedDeployment(), svc, named(), agent).workload(),
        "devproxy-agent");

    assertThat(injected.getImage()).isEqualTo("registry.example.com/agent:1");
    assertThat(injected.getResources().getRequests()).containsOnly(Map.entry("cpu", new Quantity("250m")));
    assertThat(injected.getResources().getLimits()).containsOnly(Map.entry("cpu", new Quantity("1")),
        Map.entry("memory", new Quantity("300Mi")));
  }

  @Test
  void imagePullSecretsAreAddedOnceAndRestoreRemovesExactlyThose() throws Exception {
    Deployment original = namedDeployment();
    original.getSpec().getTemplate().getSpec().setImagePullSecrets(List.of(new LocalObjectReference("regcred")));
    original = fromApi(original);
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    AgentSpec agent = agentWith(new DaemonConfig.AgentPod("50m", "64Mi", null, "128Mi", List.of("regcred", "mirror")));

    Deployment patched = fromApi(SidecarInjection.plan(original, svc, named(), agent).workload());
    Deployment restored = SidecarInjection.restore(patched);
    // Someone adds a Secret of their own while the intercept lasts; restore keeps it.
    Deployment edited = fromApi(patched);
    List<LocalObjectReference> withTheirs =
        new ArrayList<>(edited.getSpec().getTemplate().getSpec().getImagePullSecrets());
    withTheirs.add(new LocalObjectReference("theirs"));
    edited.getSpec().getTemplate().getSpec().setImagePullSecrets(withTheirs);

    assertThat(pullSecrets(patched)).as("regcred was there: not repeated").containsExactly("regcred", "mirror");
    assertThat(restored.getSpec()).isEqualTo(original.getSpec());
    assertThat(restored.getMetadata().getAnnotations()).isEqualTo(original.getMetadata().getAnnotations());
    assertThat(pullSecrets(SidecarInjection.restore(edited))).containsExactly("regcred", "theirs");
  }

  @Test
  void aPodWithoutPullSecretsGetsThemAndLosesThemOnRestore() throws Exception {
    Deployment original = namedDeployment();
    Service svc = fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
    AgentSpec agent = agentWith(new DaemonConfig.AgentPod("50m", "64Mi", null, "128Mi", List.of("regcred")));

    Deployment patched = fromApi(SidecarInjection.plan(original, svc, named(), agent).workload());

    assertThat(pullSecrets(patched)).containsExactly("regcred");
    assertThat(fromApi(SidecarInjection.restore(patched)).getSpec()).isEqualTo(original.getSpec());
  }
}

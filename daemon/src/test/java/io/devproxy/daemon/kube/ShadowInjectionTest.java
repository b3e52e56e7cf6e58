package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.ModeFixtures.fromApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.groups.Tuple.tuple;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShadowInjectionTest {

  private static final AgentSpec AGENT = AgentSpec.defaults("ghcr.io/devproxy/agent:1.0", "orders-devproxy-alice");
  private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

  /**
   * The pattern charts use: the Deployment selects {app, component} and a release expression, the template adds
   * more labels; a team-wide Service selects by team.
   */
  private static Deployment orders() {
    Deployment d = ModeFixtures.orders("shop");
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app", "orders");
    labels.put("component", "api");
    labels.put("release", "stable");
    labels.put("team", "payments");
    labels.put("version", "1.4.2");
    d.getSpec().getTemplate().getMetadata().setLabels(labels);
    d.getSpec().getTemplate().getMetadata().setAnnotations(Map.of("prometheus.io/scrape", "true"));
    d.getSpec().getSelector().setMatchLabels(Map.of("app", "orders", "component", "api"));
    d.getSpec().getSelector().setMatchExpressions(List.of(new LabelSelectorRequirementBuilder()
        .withKey("release").withOperator("In").withValues("stable", "canary").build()));
    return fromApi(d);
  }

  private static Service ordersService() {
    Service s = service("shop", "orders", Map.of("app", "orders"), servicePort("web", 80, new IntOrString("http")),
        servicePort("grpc", 9090, new IntOrString(9090)));
    s.getSpec().setType("NodePort");
    s.getSpec().setClusterIP("10.96.12.7");
    s.getSpec().getPorts().get(0).setNodePort(30080);
    s.getSpec().getPorts().get(1).setAppProtocol("kubernetes.io/h2c");
    return fromApi(s);
  }

  private static List<Service> namespaceServices() {
    return List.of(ordersService(),
        fromApi(service("shop", "payments-all", Map.of("team", "payments"), servicePort("http", 80,
            new IntOrString(8080)))),
        fromApi(service("shop", "billing", Map.of("app", "billing"), servicePort("http", 80, new IntOrString(8080)))));
  }

  private static ShadowInjection.Plan plan(Deployment original, String sessionId) throws DevproxyException {
    return ShadowInjection.plan(original, ordersService(), namespaceServices(), ModeFixtures.target("shop"), AGENT,
        "Alice", sessionId);
  }

  private static PodSpec pod(Deployment d) {
    return d.getSpec().getTemplate().getSpec();
  }

  @Test
  void theCopyRunsTheAgentInPlaceOfTheAppWithItsEnvironment() throws Exception {
    Deployment original = orders();

    ShadowInjection.Plan plan = plan(original, "alice-1");

    Deployment copy = plan.deployment();
    assertThat(copy.getMetadata().getName()).isEqualTo("orders-devproxy-alice");
    assertThat(copy.getMetadata().getNamespace()).isEqualTo("shop");
    assertThat(copy.getMetadata().getResourceVersion()).isNull();
    assertThat(copy.getSpec().getReplicas()).isEqualTo(1);
    assertThat(pod(copy).getContainers()).extracting("name")
        .containsExactly("log-shipper", "devproxy-agent", "exporter");
    assertThat(pod(copy).getContainers().get(0)).isEqualTo(pod(original).getContainers().get(0));
    assertThat(pod(copy).getContainers().get(2)).isEqualTo(pod(original).getContainers().get(2));
    Container agent = pod(copy).getContainers().get(1);
    Container app = pod(original).getContainers().get(1);
    assertThat(agent.getEnv()).containsAll(app.getEnv());
    assertThat(agent.getEnv()).extracting("name").doesNotContain("DEVPROXY_APP");
    assertThat(agent.getEnv()).as("the lease janitor deletes the shadow, not the original")
        .extracting("name", "value")
        .contains(tuple("DEVPROXY_WORKLOAD", "Deployment/orders-devproxy-alice"),
            tuple("DEVPROXY_SHADOW_SERVICE", "orders-devproxy-alice"));
    assertThat(agent.getEnvFrom()).isEqualTo(app.getEnvFrom());
    assertThat(agent.getVolumeMounts()).containsAll(app.getVolumeMounts());
    assertThat(agent.getPorts()).extracting("name", "containerPort").contains(tuple("http", 8080));
    assertThat(agent.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(agent.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(agent.getStartupProbe()).isNull();
    assertThat(pod(copy).getVolumes()).extracting("name").containsExactly("config", "devproxy-agent-tls");
    assertThat(pod(copy).getVolumes().get(1).getSecret().getSecretName())
        .isEqualTo("devproxy-agent-tls-orders-devproxy-alice");
    assertThat(copy.getSpec().getTemplate().getMetadata().getAnnotations())
        .isEqualTo(Map.of("prometheus.io/scrape", "true"));
  }

  @Test
  void theCopysPodsAreSelectedByNoneOfTheOriginalsSelectors() throws Exception {
    Deployment original = orders();

    ShadowInjection.Plan plan = plan(original, null);

    Map<String, String> labels = plan.deployment().getSpec().getTemplate().getMetadata().getLabels();
    assertThat(labels).as("the Deployment's selector keys and the team Service's key are gone, the rest stays")
        .containsOnly(Map.entry("version", "1.4.2"), Map.entry("app.kubernetes.io/managed-by", "devproxy"),
            Map.entry("devproxy.io/shadow", "orders-devproxy-alice"));
    assertThat(ShadowInjection.matches(original.getSpec().getSelector(), labels)).isFalse();
    for (Service s : namespaceServices()) {
      assertThat(labels.entrySet().containsAll(s.getSpec().getSelector().entrySet())).as(s.getMetadata().getName())
          .isFalse();
    }
    assertThat(ShadowInjection.matches(plan.deployment().getSpec().getSelector(), labels)).as("own pods").isTrue();
    assertThat(ShadowInjection.matches(plan.deployment().getSpec().getSelector(),
        original.getSpec().getTemplate().getMetadata().getLabels())).as("the original's pods").isFalse();
    assertThat(plan.service().getSpec().getSelector()).isEqualTo(Map.of("devproxy.io/shadow", "orders-devproxy-alice"));
  }

  @Test
  void theServiceHasTheOriginalsPortsButNoNodePortsAndItsOwnClusterIp() throws Exception {
    Service shadow = plan(orders(), null).service();

    assertThat(shadow.getMetadata().getName()).isEqualTo("orders-devproxy-alice");
    assertThat(shadow.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(shadow.getSpec().getClusterIP()).isNull();
    assertThat(shadow.getSpec().getPorts()).extracting("name", "port", "targetPort", "appProtocol", "nodePort")
        .containsExactly(tuple("web", 80, new IntOrString("http"), null, null),
            tuple("grpc", 9090, new IntOrString(9090), "kubernetes.io/h2c", null));
  }

  @Test
  void aHeadlessServiceGetsAHeadlessShadow() throws Exception {
    Service headless = fromApi(new ServiceBuilder(ordersService()).editSpec().withType("ClusterIP")
        .withClusterIP("None").endSpec().build());
    headless.getSpec().getPorts().forEach(p -> p.setNodePort(null));

    Service shadow = ShadowInjection.plan(orders(), headless, List.of(headless), ModeFixtures.target("shop"), AGENT,
        "alice", null).service();

    assertThat(shadow.getSpec().getClusterIP()).isEqualTo("None");
  }

  @Test
  void bothObjectsSayWhatTheyShadowAndForWhichSession() throws Exception {
    ShadowInjection.Plan plan = plan(orders(), "alice-1");
    ShadowInjection.Plan noSession = plan(orders(), null);

    for (var meta : List.of(plan.deployment().getMetadata(), plan.service().getMetadata())) {
      assertThat(meta.getLabels()).isEqualTo(Map.of("app.kubernetes.io/managed-by", "devproxy",
          "devproxy.io/shadow", "orders-devproxy-alice"));
      assertThat(meta.getAnnotations()).isEqualTo(Map.of("devproxy.io/shadow-of", "orders",
          "devproxy.io/session", "alice-1"));
    }
    assertThat(noSession.deployment().getMetadata().getAnnotations())
        .isEqualTo(Map.of("devproxy.io/shadow-of", "orders"));
    assertThat(ShadowInjection.isShadow(plan.deployment())).isTrue();
    assertThat(ShadowInjection.isShadow(orders())).isFalse();
  }

  @Test
  void theOriginalsAreNotChanged() throws Exception {
    Deployment original = orders();
    Deployment before = fromApi(original);
    Service service = ordersService();
    Service serviceBefore = fromApi(service);

    ShadowInjection.plan(original, service, namespaceServices(), ModeFixtures.target("shop"), AGENT, "alice", null);

    assertThat(original).isEqualTo(before);
    assertThat(service).isEqualTo(serviceBefore);
  }

  @Test
  void longNamesAreCutToSixtyThreeCharactersWithAHashThatKeepsThemApart() throws Exception {
    String base = "orders-service-with-a-very-long-name-that-a-chart-generated";
    InterceptTarget a = new InterceptTarget("shop", base + "-a", "Deployment", base + "-a", "app", 8080, null, 80,
        null);
    InterceptTarget b = new InterceptTarget("shop", base + "-b", "Deployment", base + "-b", "app", 8080, null, 80,
        null);

    ShadowInjection.Names na = ShadowInjection.names(a, "alice");
    ShadowInjection.Names nb = ShadowInjection.names(b, "alice");

    for (String name : List.of(na.deployment(), na.service(), nb.deployment())) {
      assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL).startsWith("orders-service-with")
          .matches(".*-[0-9a-f]{8}");
    }
    assertThat(na.deployment()).isNotEqualTo(nb.deployment());
    assertThat(ShadowInjection.names(ModeFixtures.target("shop"), "ALICE"))
        .isEqualTo(new ShadowInjection.Names("orders-devproxy-alice", "orders-devproxy-alice"));
    assertThat(ShadowInjection.name("orders.v2", "bob")).isEqualTo("orders-v2-devproxy-bob");
    assertThat(ShadowInjection.name("x".repeat(50), "bob")).as("exactly 63 is not cut")
        .isEqualTo("x".repeat(50) + "-devproxy-bob").hasSize(63);
  }

  @Test
  void aKeyThatCannotNameAnObjectIsAUserError() {
    for (String key : new String[] {"alice smith", "-alice", "alice_1", "", null}) {
      DevproxyException e = catchThrowableOfType(DevproxyException.class,
          () -> ShadowInjection.names(ModeFixtures.target("shop"), key));
      assertThat(e).as(String.valueOf(key)).isNotNull();
      assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    }
  }

  @Test
  void aStatefulSetIsRefusedWithTheModeThatWorks() {
    InterceptTarget sts = new InterceptTarget("shop", "ledger", "StatefulSet", "ledger", "app", 8080, "http", 80,
        new IntOrString("http"));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> ShadowInjection.plan(orders(), ordersService(), List.of(), sts, AGENT, "alice", null));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("shadow mode supports Deployments, not StatefulSet 'ledger';"
        + " use --mode sidecar (or --mode swap)");
  }

  @Test
  void aCopyOfAWorkloadRunningTheSidecarIsMadeFromTheOriginalSpec() throws Exception {
    Deployment withSidecar = fromApi(SidecarInjection.plan(orders(), ordersService(), ModeFixtures.target("shop"),
        AgentSpec.defaults("ghcr.io/devproxy/agent:1.0", "orders")).workload());

    Deployment copy = plan(withSidecar, null).deployment();

    assertThat(pod(copy).getContainers()).extracting("name")
        .containsExactly("log-shipper", "devproxy-agent", "exporter");
    assertThat(pod(copy).getContainers().get(1).getPorts()).extracting("name").contains("http");
    assertThat(pod(copy).getVolumes()).extracting("name").containsExactly("config", "devproxy-agent-tls");
    assertThat(pod(copy).getVolumes().get(1).getSecret().getSecretName())
        .isEqualTo("devproxy-agent-tls-orders-devproxy-alice");
  }

  @Test
  void aServiceSelectingEverythingDevproxyLabelsIsRefused() {
    Service greedy = fromApi(service("shop", "all-devproxy", Map.of("app.kubernetes.io/managed-by", "devproxy"),
        servicePort("http", 80, new IntOrString(8080))));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> ShadowInjection.plan(orders(), ordersService(), List.of(greedy), ModeFixtures.target("shop"), AGENT,
            "alice", null));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).startsWith("service 'all-devproxy' selects every pod devproxy labels");
  }

  @Test
  void aShadowIsNotShadowedAgain() throws Exception {
    Deployment copy = fromApi(plan(orders(), null).deployment());
    InterceptTarget target = new InterceptTarget("shop", "orders-devproxy-alice", "Deployment",
        "orders-devproxy-alice", "app", 8080, "http", 80, new IntOrString("http"));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> ShadowInjection.plan(copy, ordersService(), List.of(), target, AGENT, "bob", null));

    assertThat(e.getMessage()).contains("is a devproxy shadow copy of 'orders'");
  }

  @Test
  void theCopysPodsGetThePullSecretsAndTheOriginalKeepsItsOwn() throws Exception {
    Deployment original = orders();
    pod(original).setImagePullSecrets(List.of(new LocalObjectReference("regcred")));
    original = fromApi(original);
    Deployment before = fromApi(original);
    AgentSpec agent = new AgentSpec(AGENT.image(), AGENT.tunnelPort(), AGENT.adminPort(), AGENT.resources(),
        AGENT.tlsSecretName(), List.of("regcred", "mirror"));

    ShadowInjection.Plan plan = ShadowInjection.plan(original, ordersService(), namespaceServices(),
        ModeFixtures.target("shop"), agent, "alice", null);

    assertThat(pod(plan.deployment()).getImagePullSecrets()).extracting("name").containsExactly("regcred", "mirror");
    assertThat(original).isEqualTo(before);
  }
}

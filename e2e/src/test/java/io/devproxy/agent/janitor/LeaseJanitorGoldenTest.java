package io.devproxy.agent.janitor;

import static io.devproxy.agent.janitor.JanitorFixtures.agent;
import static io.devproxy.agent.janitor.JanitorFixtures.assertSameSpecAndMetadataMaps;
import static io.devproxy.agent.janitor.JanitorFixtures.configFromInjectedEnv;
import static io.devproxy.agent.janitor.JanitorFixtures.expiredLease;
import static io.devproxy.agent.janitor.JanitorFixtures.janitor;
import static io.devproxy.agent.janitor.JanitorFixtures.orders;
import static io.devproxy.agent.janitor.JanitorFixtures.service;
import static io.devproxy.agent.janitor.JanitorFixtures.target;
import static io.devproxy.agent.janitor.JanitorFixtures.tlsSecret;
import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.daemon.kube.AgentInstaller;
import io.devproxy.daemon.kube.InterceptMode;
import io.devproxy.daemon.kube.InterceptTarget;
import io.devproxy.daemon.kube.AgentSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden tests: the daemon's own {@link AgentInstaller} injects the agent in each mode, the session's Lease
 * expires, one janitor round (configured from the env the daemon injected) puts the cluster back exactly as it
 * was before the intercept, field for field, as the daemon's own cleanup would.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class LeaseJanitorGoldenTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir
  Path tmp;

  private final AgentMetrics metrics = new AgentMetrics();

  private static Deployment deployment(String ns, String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  private static Service svc(String ns, String name) {
    return client.services().inNamespace(ns).withName(name).get();
  }

  private static boolean secretExists(String ns, String name) {
    return client.secrets().inNamespace(ns).withName(name).get() != null;
  }

  private static boolean leaseExists(String ns, String name) {
    return client.leases().inNamespace(ns).withName(name).get() != null;
  }

  private Duration round(String ns, String agentWorkload) throws Exception {
    JanitorConfig config = configFromInjectedEnv(deployment(ns, agentWorkload),
        JanitorFixtures.serviceAccount(tmp.resolve("sa"), ns), server);
    try (LeaseJanitor janitor = janitor(config, metrics)) {
      return janitor.round();
    }
  }

  @Test
  void sidecarWithNamedTargetPortIsRestoredFieldForField() throws Exception {
    String ns = "sidecar-named";
    client.resource(orders(ns, "orders")).create();
    Deployment before = deployment(ns, "orders");
    client.resource(service(ns, "orders", new IntOrString("http"))).create();
    Service serviceBefore = svc(ns, "orders");
    tlsSecret(client, ns, "orders");
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(ns, "orders", "Deployment", "orders", new IntOrString("http")), agent("orders"), "alice", "alice-1");
    String lease = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    assertThat(deployment(ns, "orders").getSpec()).as("injected").isNotEqualTo(before.getSpec());

    Duration next = round(ns, "orders");

    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    Service serviceAfter = svc(ns, "orders");
    assertSameSpecAndMetadataMaps(serviceAfter, serviceBefore, serviceAfter.getSpec(), serviceBefore.getSpec());
    assertThat(serviceAfter.getMetadata().getResourceVersion()).as("a named targetPort: the Service was never written")
        .isEqualTo(serviceBefore.getMetadata().getResourceVersion());
    assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isFalse();
    assertThat(leaseExists(ns, lease)).isFalse();
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
    assertThat(metrics.leaseCleanupsFailed()).isZero();
    assertThat(next).isBetween(Duration.ofMillis(80), Duration.ofMillis(120));
  }

  @Test
  void pullSecretsTheDaemonAddedGoAndThePodsOwnStay() throws Exception {
    String ns = "pull-secrets";
    Deployment withOwn = orders(ns, "orders");
    withOwn.getSpec().getTemplate().getSpec().setImagePullSecrets(List.of(new LocalObjectReference("regcred")));
    client.resource(withOwn).create();
    Deployment before = deployment(ns, "orders");
    client.resource(service(ns, "orders", new IntOrString("http"))).create();
    tlsSecret(client, ns, "orders");
    AgentSpec defaults = agent("orders");
    AgentSpec agent = new AgentSpec(defaults.image(), defaults.tunnelPort(), defaults.adminPort(),
        defaults.resources(), defaults.tlsSecretName(), List.of("regcred", "mirror"));
    new AgentInstaller(client).install(InterceptMode.SWAP,
        target(ns, "orders", "Deployment", "orders", new IntOrString("http")), agent, "alice", "alice-1");
    expiredLease(client, ns, "alice-1", "Deployment", "orders");
    assertThat(deployment(ns, "orders").getSpec().getTemplate().getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName).containsExactly("regcred", "mirror");

    round(ns, "orders");

    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(after.getSpec().getTemplate().getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName).containsExactly("regcred");
  }

  @Test
  void sidecarWithNumericTargetPortRestoresTheServiceToo() throws Exception {
    String ns = "sidecar-numeric";
    client.resource(orders(ns, "orders")).create();
    Deployment before = deployment(ns, "orders");
    client.resource(service(ns, "orders", new IntOrString(8080))).create();
    Service serviceBefore = svc(ns, "orders");
    tlsSecret(client, ns, "orders");
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(ns, "orders", "Deployment", "orders", new IntOrString(8080)), agent("orders"), "alice", "alice-1");
    String lease = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    assertThat(svc(ns, "orders").getSpec().getPorts().get(0).getTargetPort()).as("retargeted at the agent")
        .isEqualTo(new IntOrString(15000));

    round(ns, "orders");

    Service serviceAfter = svc(ns, "orders");
    assertSameSpecAndMetadataMaps(serviceAfter, serviceBefore, serviceAfter.getSpec(), serviceBefore.getSpec());
    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isFalse();
    assertThat(leaseExists(ns, lease)).isFalse();
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
  }

  @Test
  void sidecarInAStatefulSetIsRestoredFieldForField() throws Exception {
    String ns = "sidecar-sts";
    client.resource(JanitorFixtures.ledger(ns)).create();
    StatefulSet before = client.apps().statefulSets().inNamespace(ns).withName("ledger").get();
    client.resource(service(ns, "ledger", new IntOrString("http"))).create();
    tlsSecret(client, ns, "ledger");
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(ns, "ledger", "StatefulSet", "ledger", new IntOrString("http")), agent("ledger"), "alice", "alice-1");
    String lease = expiredLease(client, ns, "alice-1", "StatefulSet", "ledger");
    StatefulSet injected = client.apps().statefulSets().inNamespace(ns).withName("ledger").get();
    JanitorConfig config = configFromInjectedEnv(injected, JanitorFixtures.serviceAccount(tmp.resolve("sa"), ns),
        server);
    assertThat(config.workload()).isEqualTo("StatefulSet/ledger");

    try (LeaseJanitor janitor = janitor(config, metrics)) {
      janitor.round();
    }

    StatefulSet after = client.apps().statefulSets().inNamespace(ns).withName("ledger").get();
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(secretExists(ns, "devproxy-agent-tls-ledger")).isFalse();
    assertThat(leaseExists(ns, lease)).isFalse();
  }

  @Test
  void swapPutsTheOriginalContainerBackFieldForField() throws Exception {
    String ns = "swap";
    client.resource(orders(ns, "orders")).create();
    Deployment before = deployment(ns, "orders");
    client.resource(service(ns, "orders", new IntOrString("http"))).create();
    Service serviceBefore = svc(ns, "orders");
    tlsSecret(client, ns, "orders");
    new AgentInstaller(client).install(InterceptMode.SWAP,
        target(ns, "orders", "Deployment", "orders", new IntOrString("http")), agent("orders"), "alice", "alice-1");
    String lease = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    assertThat(deployment(ns, "orders").getSpec().getTemplate().getSpec().getContainers()).extracting("name")
        .containsExactly("log-shipper", "devproxy-agent", "exporter");

    round(ns, "orders");

    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(svc(ns, "orders").getSpec()).isEqualTo(serviceBefore.getSpec());
    assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isFalse();
    assertThat(leaseExists(ns, lease)).isFalse();
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
  }

  @Test
  void shadowCopyAndItsServiceAreDeletedAndTheOriginalsAreUntouched() throws Exception {
    String ns = "shadow";
    client.resource(orders(ns, "orders")).create();
    Deployment before = deployment(ns, "orders");
    client.resource(service(ns, "orders", new IntOrString("http"))).create();
    Service serviceBefore = svc(ns, "orders");

    AgentInstaller.Installed installed = interceptInShadowMode(ns);
    assertThat(installed.shadowDeployment()).isEqualTo("orders-devproxy-alice");
    assertThat(deployment(ns, "orders-devproxy-alice")).isNotNull();
    assertThat(svc(ns, "orders-devproxy-alice")).isNotNull();

    round(ns, "orders-devproxy-alice");

    assertThat(client.apps().deployments().inNamespace(ns).list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
    assertThat(client.services().inNamespace(ns).list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(svc(ns, "orders").getMetadata().getResourceVersion())
        .isEqualTo(serviceBefore.getMetadata().getResourceVersion());
    assertThat(secretExists(ns, "devproxy-agent-tls-orders-devproxy-alice")).isFalse();
    assertThat(client.leases().inNamespace(ns).list().getItems()).isEmpty();
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
  }

  /** alice's shadow intercept of orders, whose Lease then expired. */
  private AgentInstaller.Installed interceptInShadowMode(String ns) throws Exception {
    InterceptTarget target = target(ns, "orders", "Deployment", "orders", new IntOrString("http"));
    String agentWorkload = AgentInstaller.agentWorkloadName(InterceptMode.SHADOW, target, "alice");
    tlsSecret(client, ns, agentWorkload);
    AgentInstaller.Installed installed = new AgentInstaller(client).install(InterceptMode.SHADOW, target,
        agent(agentWorkload), "alice", "alice-1");
    expiredLease(client, ns, "alice-1", installed.agentWorkloadKind(), installed.agentWorkloadName());
    return installed;
  }
}

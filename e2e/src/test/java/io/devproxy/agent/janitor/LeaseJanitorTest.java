package io.devproxy.agent.janitor;

import static io.devproxy.agent.janitor.JanitorFixtures.agent;
import static io.devproxy.agent.janitor.JanitorFixtures.assertSameSpecAndMetadataMaps;
import static io.devproxy.agent.janitor.JanitorFixtures.config;
import static io.devproxy.agent.janitor.JanitorFixtures.expiredLease;
import static io.devproxy.agent.janitor.JanitorFixtures.janitor;
import static io.devproxy.agent.janitor.JanitorFixtures.liveLease;
import static io.devproxy.agent.janitor.JanitorFixtures.orders;
import static io.devproxy.agent.janitor.JanitorFixtures.service;
import static io.devproxy.agent.janitor.JanitorFixtures.target;
import static io.devproxy.agent.janitor.JanitorFixtures.tlsSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.agent.AgentConfig;
import io.devproxy.agent.TrafficAgent;
import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.front.CallerTimeouts;
import io.devproxy.agent.janitor.JanitorFixtures.LogRecorder;
import io.devproxy.daemon.kube.AgentInstaller;
import io.devproxy.daemon.kube.InterceptMode;
import io.devproxy.daemon.kube.testing.MovingClock;
import io.devproxy.tunnel.pki.UserPki;
import io.devproxy.tunnel.testing.PrometheusSamples;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which expired Leases a janitor acts on, and how it shares the work with other replicas and with writers. */
@EnableKubernetesMockClient(crud = true, https = false)
class LeaseJanitorTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir
  Path tmp;

  private final AgentMetrics metrics = new AgentMetrics();

  private static Deployment deployment(String ns, String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  private static boolean injected(String ns, String name) {
    return deployment(ns, name).getMetadata().getAnnotations().containsKey("devproxy.io/restore");
  }

  private static boolean leaseExists(String ns, String name) {
    return client.leases().inNamespace(ns).withName(name).get() != null;
  }

  private static boolean secretExists(String ns, String name) {
    return client.secrets().inNamespace(ns).withName(name).get() != null;
  }

  /** orders with alice's sidecar (and its TLS Secret): what alice's intercept leaves before its Lease is made. */
  private static Deployment sidecar(String ns, String workload, String session) throws Exception {
    if (deployment(ns, workload) == null) {
      client.resource(orders(ns, workload)).create();
      client.resource(service(ns, workload, new IntOrString("http"))).create();
      tlsSecret(client, ns, workload);
    }
    Deployment before = deployment(ns, workload);
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(ns, workload, "Deployment", workload, new IntOrString("http")), agent(workload), "key", session);
    return before;
  }

  private JanitorConfig config(String ns, String workload) throws Exception {
    return JanitorFixtures.config("Deployment/" + workload, null, JanitorFixtures.serviceAccount(tmp.resolve("sa-" + ns), ns), server);
  }

  @Test
  void aLiveSessionKeepsTheSidecarAndOnlyTheExpiredLeaseGoesAsTheDaemonDoes() throws Exception {
    String ns = "shared";
    Deployment before = sidecar(ns, "orders", "alice-1");
    sidecar(ns, "orders", "bob-2");
    String alice = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    String bob = liveLease(client, ns, "bob-2", "Deployment", "orders");
    MovingClock clock = new MovingClock(Instant.now());

    try (LeaseJanitor janitor = LeaseJanitor.create(config(ns, "orders"), Map.of(), clock, metrics);
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      janitor.round();

      assertThat(injected(ns, "orders")).as("bob still uses the agent").isTrue();
      assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isTrue();
      assertThat(leaseExists(ns, alice)).isFalse();
      assertThat(leaseExists(ns, bob)).isTrue();
      assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
      assertThat(log.messages()).singleElement().asString()
          .startsWith("INFO [shared/Deployment/orders] session Lease " + alice + " of alice-1@laptop expired:"
              + " nothing to restore (other sessions still use the agent)");

      clock.advance(Duration.ofMinutes(10));
      janitor.round();

      Deployment after = deployment(ns, "orders");
      assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
      assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isFalse();
      assertThat(client.leases().inNamespace(ns).list().getItems()).isEmpty();
      assertThat(metrics.leaseCleanupsDone()).isEqualTo(2);
      assertThat(log.messages()).last().asString().isEqualTo("INFO [shared/Deployment/orders] session Lease " + bob
          + " of bob-2@laptop expired: restored deployment/orders, deleted secret/devproxy-agent-tls-orders");
    }
  }

  @Test
  void aSessionThatStartsDuringTheRoundKeepsTheSidecar() throws Exception {
    String ns = "newcomer";
    sidecar(ns, "orders", "alice-1");
    String alice = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    // The round's first look sees only alice's Lease; bob takes his right after, before the cleanup.
    server.expect().get().withPath("/apis/coordination.k8s.io/v1/namespaces/" + ns
            + "/leases?labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddevproxy")
        .andReturn(200, new LeaseListBuilder().withItems(client.leases().inNamespace(ns).withName(alice).get())
            .build())
        .once();
    String bob = liveLease(client, ns, "bob-2", "Deployment", "orders");

    try (LeaseJanitor janitor = janitor(config(ns, "orders"), metrics)) {
      janitor.round();
    }

    assertThat(injected(ns, "orders")).as("bob is about to share the agent").isTrue();
    assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isTrue();
    assertThat(leaseExists(ns, alice)).isFalse();
    assertThat(leaseExists(ns, bob)).isTrue();
  }

  @Test
  void anExpiredLeaseOfAnotherWorkloadIsLeftToThatWorkloadsAgents() throws Exception {
    String ns = "two-workloads";
    sidecar(ns, "orders", "alice-1");
    sidecar(ns, "payments", "bob-2");
    String aliceOnOrders = liveLease(client, ns, "alice-1", "Deployment", "orders");
    String bobOnPayments = expiredLease(client, ns, "bob-2", "Deployment", "payments");
    int requestsBefore = server.getRequestCount();

    try (LeaseJanitor janitor = janitor(config(ns, "orders"), metrics)) {
      janitor.round();
    }

    assertThat(server.getRequestCount() - requestsBefore).as("one list call, nothing else").isEqualTo(1);
    assertThat(injected(ns, "payments")).isTrue();
    assertThat(injected(ns, "orders")).isTrue();
    assertThat(leaseExists(ns, bobOnPayments)).isTrue();
    assertThat(leaseExists(ns, aliceOnOrders)).isTrue();
    assertThat(secretExists(ns, "devproxy-agent-tls-payments")).isTrue();
    assertThat(metrics.leaseCleanupsDone()).isZero();
  }

  @Test
  void aSecondReplicaFindsNothingLeftToDo() throws Exception {
    String ns = "replicas";
    Deployment before = sidecar(ns, "orders", "alice-1");
    expiredLease(client, ns, "alice-1", "Deployment", "orders");
    AgentMetrics otherReplica = new AgentMetrics();

    try (LeaseJanitor first = janitor(config(ns, "orders"), metrics);
        LeaseJanitor second = janitor(config(ns, "orders"), otherReplica);
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      Duration firstNext = first.round();
      String resourceVersion = deployment(ns, "orders").getMetadata().getResourceVersion();
      Duration secondNext = second.round();

      assertThat(deployment(ns, "orders").getMetadata().getResourceVersion()).as("not written again")
          .isEqualTo(resourceVersion);
      assertThat(List.of(firstNext, secondNext)).as("neither failed: the next round after one interval")
          .allSatisfy(d -> assertThat(d).isBetween(Duration.ofMillis(80), Duration.ofMillis(120)));
      assertThat(log.messages()).hasSize(1);
    }

    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(metrics.leaseCleanupsDone() + otherReplica.leaseCleanupsDone()).isEqualTo(1);
    assertThat(metrics.leaseCleanupsFailed() + otherReplica.leaseCleanupsFailed()).isZero();
  }

  @Test
  void anUpdateThatConflictsIsPlannedAgainOnTheFreshObject() throws Exception {
    String ns = "conflict";
    Deployment before = sidecar(ns, "orders", "alice-1");
    String lease = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    server.expect().put().withPath("/apis/apps/v1/namespaces/" + ns + "/deployments/orders")
        .andReturn(409, new StatusBuilder().withStatus("Failure").withCode(409).withReason("Conflict")
            .withMessage("the object has been modified; please apply your changes to the latest version").build())
        .once();

    try (LeaseJanitor janitor = janitor(config(ns, "orders"), metrics)) {
      janitor.round();
    }

    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(leaseExists(ns, lease)).isFalse();
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
    assertThat(metrics.leaseCleanupsFailed()).isZero();
  }

  @Test
  void aSwapOfAnotherSessionIsNotTouched() throws Exception {
    String ns = "other-swap";
    client.resource(orders(ns, "orders")).create();
    client.resource(service(ns, "orders", new IntOrString("http"))).create();
    new AgentInstaller(client).install(InterceptMode.SWAP,
        target(ns, "orders", "Deployment", "orders", new IntOrString("http")), agent("orders"), "carol", "carol-3");
    tlsSecret(client, ns, "orders");
    String carol = liveLease(client, ns, "carol-3", "Deployment", "orders");
    String stale = expiredLease(client, ns, "dave-4", "Deployment", "orders");

    try (LeaseJanitor janitor = janitor(config(ns, "orders"), metrics)) {
      janitor.round();
    }

    assertThat(injected(ns, "orders")).as("carol's swap stays").isTrue();
    assertThat(secretExists(ns, "devproxy-agent-tls-orders")).isTrue();
    assertThat(leaseExists(ns, carol)).isTrue();
    assertThat(leaseExists(ns, stale)).isFalse();
  }

  @Test
  void theAgentRunsItsJanitorAndCountsTheCleanupInItsMetrics() throws Exception {
    String ns = "agent";
    Deployment before = sidecar(ns, "orders", "alice-1");
    expiredLease(client, ns, "alice-1", "Deployment", "orders");
    Path tlsDir = tmp.resolve("tls");
    UserPki.loadOrCreate(tmp.resolve("pki"), "alice@laptop").writeAgentTlsDir(tlsDir, List.of(), List.of());
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    try (TrafficAgent agent = new TrafficAgent(new AgentConfig(loopback, loopback, loopback, tlsDir, null,
        UpstreamProtocol.AUTO, Duration.ofSeconds(2), Duration.ofSeconds(5), config(ns, "orders"),
        CallerTimeouts.DEFAULTS)).start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> client.leases().inNamespace(ns).list().getItems().isEmpty());

      HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + agent.adminAddress().getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(PrometheusSamples.value(metrics.body(), "devproxy_agent_lease_cleanups_total{result=\"done\"}"))
          .isEqualTo(1);
      assertThat(PrometheusSamples.value(metrics.body(), "devproxy_agent_lease_cleanups_total{result=\"failed\"}"))
          .isZero();
    }
    Deployment after = deployment(ns, "orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
  }
}

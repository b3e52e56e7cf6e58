package io.devproxy.agent.janitor;

import static io.devproxy.agent.janitor.JanitorFixtures.agent;
import static io.devproxy.agent.janitor.JanitorFixtures.expiredLease;
import static io.devproxy.agent.janitor.JanitorFixtures.janitor;
import static io.devproxy.agent.janitor.JanitorFixtures.orders;
import static io.devproxy.agent.janitor.JanitorFixtures.service;
import static io.devproxy.agent.janitor.JanitorFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.janitor.JanitorFixtures.LogRecorder;
import io.devproxy.daemon.kube.AgentInstaller;
import io.devproxy.daemon.kube.InterceptMode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default in a cluster: the app's ServiceAccount has no devproxy Role. The janitor says so once, in one line
 * that names the missing permission and the fix, and then stays quiet and slow; other failures back off too.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class LeaseJanitorForbiddenTest {

  private static final String SELECTOR = "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddevproxy";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir
  Path tmp;

  private final AgentMetrics metrics = new AgentMetrics();

  private static Status status(int code, String reason, String message) {
    return new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build();
  }

  private static String leases(String ns) {
    return "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases" + SELECTOR;
  }

  private JanitorConfig config(String ns) throws Exception {
    return JanitorFixtures.config("Deployment/orders", null, JanitorFixtures.serviceAccount(tmp.resolve("sa"), ns),
        server);
  }

  @Test
  void forbiddenLeaseListIsOneInfoLineNamingThePermissionAndTheFixThenTheSlowRetry() throws Exception {
    String ns = "locked";
    server.expect().get().withPath(leases(ns)).andReturn(403, status(403, "Forbidden", "leases.coordination.k8s.io is"
        + " forbidden: User \"system:serviceaccount:locked:default\" cannot list resource \"leases\" in API group"
        + " \"coordination.k8s.io\" in the namespace \"locked\"")).always();

    try (LeaseJanitor janitor = janitor(config(ns), metrics);
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      List<Duration> next = List.of(janitor.round(), janitor.round(), janitor.round());

      assertThat(next).containsOnly(Duration.ofHours(1));
      assertThat(log.messages()).containsExactly("INFO [locked/Deployment/orders] lease janitor paused:"
          + " locked/default may not list leases.coordination.k8s.io in namespace locked (HTTP 403), so developers'"
          + " daemons clean up after expired sessions instead; 'devproxy rbac --agent' prints the Role that lets"
          + " the agent do it. Trying again in 1h");
    }
    assertThat(metrics.leaseCleanupsFailed()).as("no session was looked at").isZero();
  }

  @Test
  void afterAForbiddenListNoCallIsMadeUntilTheBackOffEnds() throws Exception {
    String ns = "locked-scheduled";
    server.expect().get().withPath(leases(ns)).andReturn(403, status(403, "Forbidden", "forbidden")).always();
    int before = server.getRequestCount();

    LeaseJanitor janitor = janitor(config(ns), metrics);
    try (LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      janitor.startRounds();

      await().atMost(Duration.ofSeconds(5)).until(() -> server.getRequestCount() > before);
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
          .until(() -> server.getRequestCount() == before + 1);
      assertThat(log.messages()).filteredOn(m -> m.contains("may not list")).hasSize(1);
    } finally {
      janitor.close();
    }

    assertThat(janitor.awaitTermination(Duration.ofSeconds(5))).isTrue();
    // A terminated pool's workers may still be leaving run() for a moment.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName).noneMatch(name -> name.startsWith("devproxy-agent-lease-janitor")
            || name.startsWith("devproxy-agent-kube-api")));
  }

  @Test
  void forbiddenUpdateLeavesTheLeaseForTheDaemonAndCountsAFailedCleanup() throws Exception {
    String ns = "read-only";
    client.resource(orders(ns, "orders")).create();
    client.resource(service(ns, "orders", new IntOrString("http"))).create();
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(ns, "orders", "Deployment", "orders", new IntOrString("http")), agent("orders"), "alice", "alice-1");
    Deployment injected = client.apps().deployments().inNamespace(ns).withName("orders").get();
    String lease = expiredLease(client, ns, "alice-1", "Deployment", "orders");
    server.expect().put().withPath("/apis/apps/v1/namespaces/" + ns + "/deployments/orders")
        .andReturn(403, status(403, "Forbidden", "deployments.apps \"orders\" is forbidden")).always();

    try (LeaseJanitor janitor = janitor(config(ns), metrics);
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      assertThat(janitor.round()).isEqualTo(Duration.ofHours(1));

      assertThat(log.messages()).singleElement().asString()
          .contains("may not update deployments.apps in namespace read-only (HTTP 403)");
    }
    assertThat(client.apps().deployments().inNamespace(ns).withName("orders").get().getMetadata()
        .getResourceVersion()).isEqualTo(injected.getMetadata().getResourceVersion());
    assertThat(client.leases().inNamespace(ns).withName(lease).get()).as("left for a daemon").isNotNull();
    assertThat(metrics.leaseCleanupsFailed()).isEqualTo(1);
    assertThat(metrics.leaseCleanupsDone()).isZero();
  }

  @Test
  void otherFailuresWarnOnceAndBackOffExponentially() throws Exception {
    String ns = "flaky";
    server.expect().get().withPath(leases(ns)).andReturn(500, status(500, "InternalError", "etcdserver: leader"
        + " changed")).always();

    try (LeaseJanitor janitor = janitor(config(ns), metrics);
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      Duration first = janitor.round();
      Duration second = janitor.round();

      assertThat(first).isBetween(Duration.ofMillis(160), Duration.ofMillis(240));
      assertThat(second).isBetween(Duration.ofMillis(320), Duration.ofMillis(480));
      assertThat(log.messages()).containsExactly("WARNING [flaky/Deployment/orders] lease janitor: cannot list"
          + " leases.coordination.k8s.io in namespace flaky: HTTP 500, etcdserver: leader changed");
    }
  }

  @Test
  void withoutAServiceAccountTokenTheJanitorDoesNotStart() {
    JanitorConfig config = new JanitorConfig("Deployment", "orders", null, Duration.ofMillis(100),
        Duration.ofHours(1), tmp.resolve("not-mounted"), null);

    try (LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      assertThat(LeaseJanitor.start(config, metrics)).isNull();

      assertThat(log.messages()).singleElement().asString()
          .startsWith("INFO lease janitor off: no ServiceAccount token at " + tmp.resolve("not-mounted/token"))
          .endsWith("developers' daemons clean up after expired sessions of Deployment/orders");
    }
  }
}

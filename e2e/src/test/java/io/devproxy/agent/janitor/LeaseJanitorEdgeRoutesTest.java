package io.devproxy.agent.janitor;

import static io.devproxy.agent.janitor.JanitorFixtures.agent;
import static io.devproxy.agent.janitor.JanitorFixtures.assertSameSpecAndMetadataMaps;
import static io.devproxy.agent.janitor.JanitorFixtures.configFromInjectedEnv;
import static io.devproxy.agent.janitor.JanitorFixtures.expiredLease;
import static io.devproxy.agent.janitor.JanitorFixtures.janitor;
import static io.devproxy.agent.janitor.JanitorFixtures.liveLease;
import static io.devproxy.agent.janitor.JanitorFixtures.orders;
import static io.devproxy.agent.janitor.JanitorFixtures.service;
import static io.devproxy.agent.janitor.JanitorFixtures.target;
import static io.devproxy.agent.janitor.JanitorFixtures.tlsSecret;
import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.janitor.JanitorFixtures.LogRecorder;
import io.devproxy.daemon.ambassador.CrdFiles;
import io.devproxy.daemon.ambassador.EdgeRoutes;
import io.devproxy.daemon.ambassador.HeaderRoutes;
import io.devproxy.daemon.kube.AgentInstaller;
import io.devproxy.daemon.kube.InterceptMode;
import io.devproxy.daemon.kube.InterceptTarget;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An expired session's Ambassador/Emissary edge routes: its header-route Mappings (cloned by the daemon's own
 * {@link EdgeRoutes}) and its preview Hosts go first, before the workload is restored, and every other route stays.
 * Each test has its own mock API server, since CRDs are cluster-wide. fabric8's mock advertises only a CRD's
 * storage version (so the v3alpha1-only CRDs, or v2 for the Mapping CRD as Emissary ships it), and answers discovery
 * of a group-version no CRD serves with a list without resources where a real API server says 404.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class LeaseJanitorEdgeRoutesTest {

  private static final String V3 = "getambassador.io/v3alpha1";
  private static final String V2 = "getambassador.io/v2";
  private static final String NS = "edge";

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir
  Path tmp;

  private final AgentMetrics metrics = new AgentMetrics();

  private Deployment deployment(String name) {
    return client.apps().deployments().inNamespace(NS).withName(name).get();
  }

  private boolean leaseExists(String name) {
    return client.leases().inNamespace(NS).withName(name).get() != null;
  }

  private List<String> names(String kind) {
    return names(V3, kind);
  }

  private List<String> names(String apiVersion, String kind) {
    return client.genericKubernetesResources(apiVersion, kind).inNamespace(NS).list().getItems().stream()
        .map(r -> r.getMetadata().getName()).sorted().toList();
  }

  private void installAmbassadorCrds() throws Exception {
    CrdFiles.applyMappingCrd(client);
    CrdFiles.applyHostCrd(client);
  }

  /** orders, its Service and the agent TLS Secret; and with {@code teamMapping}, the team's own Mapping of orders. */
  private Deployment ordersApp(boolean teamMapping) {
    client.resource(orders(NS, "orders")).create();
    client.resource(service(NS, "orders", new IntOrString("http"))).create();
    tlsSecret(client, NS, "orders");
    if (teamMapping) {
      mapping(V3, "orders", null);
    }
    return deployment("orders");
  }

  /** A Mapping to orders; labelled as the daemon labels what it creates for {@code session} unless that is null. */
  private void mapping(String apiVersion, String name, String session) {
    client.genericKubernetesResources(apiVersion, "Mapping").inNamespace(NS).resource(edgeRoute(apiVersion,
        "Mapping", name, session, Map.of("hostname", "*", "prefix", "/orders/", "service", "orders"))).create();
  }

  /** {@code key}'s sidecar intercept of orders, with the header routes the daemon clones of the team's Mapping. */
  private String sidecarWithHeaderRoute(String key, String session) throws Exception {
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(NS, "orders", "Deployment", "orders", new IntOrString("http")), agent("orders"), key, session);
    return headerRoute(key, session, null);
  }

  private String headerRoute(String key, String session, String shadowService) throws Exception {
    return new EdgeRoutes(client).create(NS, "orders", null, key, session, shadowService).clones().get(0);
  }

  /** A preview Host of {@code session}. */
  private void previewHost(String name, String session) {
    client.genericKubernetesResources(V3, "Host").inNamespace(NS).resource(edgeRoute(V3, "Host", name, session,
        Map.of("hostname", name + ".preview.example.com"))).create();
  }

  private static GenericKubernetesResource edgeRoute(String apiVersion, String kind, String name, String session,
      Map<String, Object> spec) {
    Map<String, String> labels = session == null ? null
        : Map.of(HeaderRoutes.MANAGED_BY, HeaderRoutes.DEVPROXY, HeaderRoutes.SESSION_LABEL, session);
    return new GenericKubernetesResourceBuilder().withApiVersion(apiVersion).withKind(kind)
        .withNewMetadata().withName(name).withLabels(labels).endMetadata()
        .addToAdditionalProperties("spec", spec).build();
  }

  private LeaseJanitor ordersJanitor() throws Exception {
    return janitor(configFromInjectedEnv(deployment("orders"), JanitorFixtures.serviceAccount(tmp.resolve("sa"), NS),
        server), metrics);
  }

  /** The requests the mock API server answered since the last call, as {@code METHOD path}. */
  private List<String> requestsSinceLastLook() throws InterruptedException {
    List<String> requests = new ArrayList<>();
    for (RecordedRequest r; (r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null; ) {
      requests.add(r.getMethod() + " " + r.getPath());
    }
    return requests;
  }

  @Test
  void theExpiredSessionsMappingsAndHostsGoAndEveryOtherRouteStays() throws Exception {
    installAmbassadorCrds();
    ordersApp(true);
    String aliceRoute = sidecarWithHeaderRoute("alice", "alice-1");
    String bobRoute = sidecarWithHeaderRoute("bob", "bob-2");
    // carol's session ran on payments: its expired Lease is payments' agents' business, routes included
    String carolRoute = headerRoute("carol", "carol-3", null);
    previewHost("alice-preview", "alice-1");
    previewHost("bob-preview", "bob-2");
    String alice = expiredLease(client, NS, "alice-1", "Deployment", "orders");
    String bob = liveLease(client, NS, "bob-2", "Deployment", "orders");
    String carol = expiredLease(client, NS, "carol-3", "Deployment", "payments");

    try (LeaseJanitor janitor = ordersJanitor();
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      assertThat(janitor.round()).isBetween(Duration.ofMillis(80), Duration.ofMillis(120));

      assertThat(log.messages()).containsExactly("INFO [edge/Deployment/orders] session Lease " + alice
          + " of alice-1@laptop expired: deleted mapping/" + aliceRoute + ", deleted host/alice-preview (other"
          + " sessions still use the agent)");
    }

    assertThat(names("Mapping")).containsExactlyInAnyOrder("orders", bobRoute, carolRoute);
    assertThat(names("Host")).containsExactly("bob-preview");
    assertThat(leaseExists(alice)).isFalse();
    assertThat(leaseExists(bob)).isTrue();
    assertThat(leaseExists(carol)).isTrue();
    assertThat(deployment("orders").getMetadata().getAnnotations()).as("bob still uses the agent")
        .containsKey("devproxy.io/restore");
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
  }

  @Test
  void aShadowSessionsRoutesGoBeforeTheShadowServiceTheyPointAt() throws Exception {
    installAmbassadorCrds();
    ordersApp(true);
    InterceptTarget target = target(NS, "orders", "Deployment", "orders", new IntOrString("http"));
    String shadow = AgentInstaller.agentWorkloadName(InterceptMode.SHADOW, target, "alice");
    tlsSecret(client, NS, shadow);
    AgentInstaller.Installed installed = new AgentInstaller(client).install(InterceptMode.SHADOW, target,
        agent(shadow), "alice", "alice-1");
    String route = headerRoute("alice", "alice-1", installed.shadowService());
    previewHost("alice-preview", "alice-1");
    expiredLease(client, NS, "alice-1", installed.agentWorkloadKind(), installed.agentWorkloadName());
    JanitorConfig config = configFromInjectedEnv(deployment(shadow),
        JanitorFixtures.serviceAccount(tmp.resolve("sa"), NS), server);
    requestsSinceLastLook();

    try (LeaseJanitor janitor = janitor(config, metrics)) {
      janitor.round();
    }

    List<String> requests = requestsSinceLastLook();
    assertThat(requests).containsSubsequence(
        "DELETE /apis/getambassador.io/v3alpha1/namespaces/edge/mappings/" + route,
        "DELETE /apis/getambassador.io/v3alpha1/namespaces/edge/hosts/alice-preview",
        "DELETE /api/v1/namespaces/edge/services/" + installed.shadowService(),
        "DELETE /apis/apps/v1/namespaces/edge/deployments/" + shadow);
    assertThat(names("Mapping")).containsExactly("orders");
    assertThat(names("Host")).isEmpty();
    assertThat(client.services().inNamespace(NS).list().getItems()).extracting("metadata.name")
        .containsExactly("orders");
    assertThat(client.leases().inNamespace(NS).list().getItems()).isEmpty();
  }

  @Test
  void mappingsServedAtV2OnlyAreDeletedThere() throws Exception {
    CrdFiles.applyShippedMappingCrd(client);
    ordersApp(false);
    mapping(V2, "orders", null);
    mapping(V2, "orders-devproxy-alice", "alice-1");
    mapping(V2, "orders-devproxy-bob", "bob-2");
    String lease = expiredLease(client, NS, "alice-1", "Deployment", "orders");

    try (LeaseJanitor janitor = janitor(JanitorFixtures.config("Deployment/orders", null,
            JanitorFixtures.serviceAccount(tmp.resolve("sa"), NS), server), metrics);
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      janitor.round();

      assertThat(log.messages()).containsExactly("INFO [edge/Deployment/orders] session Lease " + lease
          + " of alice-1@laptop expired: deleted mapping/orders-devproxy-alice, deleted"
          + " secret/devproxy-agent-tls-orders");
    }

    assertThat(names(V2, "Mapping")).containsExactly("orders", "orders-devproxy-bob");
    assertThat(leaseExists(lease)).isFalse();
  }

  @Test
  void withoutAmbassadorCrdsTheJanitorRestoresAsBefore() throws Exception {
    Deployment before = ordersApp(false);
    new AgentInstaller(client).install(InterceptMode.SIDECAR,
        target(NS, "orders", "Deployment", "orders", new IntOrString("http")), agent("orders"), "alice", "alice-1");
    String lease = expiredLease(client, NS, "alice-1", "Deployment", "orders");
    requestsSinceLastLook();

    try (LeaseJanitor janitor = ordersJanitor();
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      assertThat(janitor.round()).isBetween(Duration.ofMillis(80), Duration.ofMillis(120));

      assertThat(log.messages()).containsExactly("INFO [edge/Deployment/orders] session Lease " + lease
          + " of alice-1@laptop expired: restored deployment/orders, deleted secret/devproxy-agent-tls-orders");
    }

    assertThat(requestsSinceLastLook()).filteredOn(r -> r.contains("getambassador.io")).as("discovery only")
        .isNotEmpty()
        .allMatch(r -> r.equals("GET /apis/getambassador.io/v3alpha1") || r.equals("GET /apis/getambassador.io/v2"));
    Deployment after = deployment("orders");
    assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
    assertThat(leaseExists(lease)).isFalse();
    assertThat(metrics.leaseCleanupsDone()).isEqualTo(1);
    assertThat(metrics.leaseCleanupsFailed()).isZero();
  }

  @Test
  void forbiddenMappingsStillRestoreTheWorkloadButKeepTheLeaseForADaemon() throws Exception {
    installAmbassadorCrds();
    Deployment before = ordersApp(true);
    String route = sidecarWithHeaderRoute("alice", "alice-1");
    previewHost("alice-preview", "alice-1");
    String lease = expiredLease(client, NS, "alice-1", "Deployment", "orders");
    server.expect().get().withPath("/apis/getambassador.io/v3alpha1/namespaces/edge/mappings?labelSelector="
            + "app.kubernetes.io%2Fmanaged-by%3Ddevproxy%2Cdevproxy.io%2Fsession%3Dalice-1")
        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
            .withMessage("mappings.getambassador.io is forbidden").build())
        .always();

    try (LeaseJanitor janitor = ordersJanitor();
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      assertThat(janitor.round()).as("as after any 401/403").isEqualTo(Duration.ofHours(1));
      Deployment after = deployment("orders");
      assertSameSpecAndMetadataMaps(after, before, after.getSpec(), before.getSpec());
      assertThat(metrics.leaseCleanupsFailed()).as("the Lease stays").isEqualTo(1);
      assertThat(janitor.round()).isEqualTo(Duration.ofHours(1));

      assertThat(log.messages()).containsExactly(
          "INFO [edge/Deployment/orders] lease janitor: edge/default may not list mappings.getambassador.io in"
              + " namespace edge (HTTP 403), so workloads are restored, but expired sessions' edge routes, and their"
              + " Leases, are left to developers' daemons; 'devproxy rbac --agent' prints the Role that lets the"
              + " agent do it. Trying again in 1h",
          "INFO [edge/Deployment/orders] session Lease " + lease + " of alice-1@laptop expired: deleted"
              + " host/alice-preview, restored deployment/orders, deleted secret/devproxy-agent-tls-orders; the Lease"
              + " stays until a developer's daemon deletes the session's edge routes");
    }

    assertThat(names("Mapping")).containsExactlyInAnyOrder("orders", route);
    assertThat(names("Host")).isEmpty();
    assertThat(leaseExists(lease)).as("so a daemon still finds the session").isTrue();
    assertThat(metrics.leaseCleanupsDone()).isZero();
  }
}

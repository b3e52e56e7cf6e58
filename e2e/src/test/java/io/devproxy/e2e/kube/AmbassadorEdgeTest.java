package io.devproxy.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.ambassador.CrdFiles;
import io.devproxy.daemon.ambassador.ServiceRef;
import io.devproxy.daemon.kube.testing.PortForwardingMockServer;
import io.devproxy.e2e.Jars;
import io.devproxy.e2e.ambassador.EdgeGreeter;
import io.devproxy.e2e.ambassador.HaproxyEdge;
import io.devproxy.e2e.kube.OrdersApp.Ports;
import io.devproxy.sandbox.http.SampleApp;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge as a team runs it: HAProxy, configured from the namespace's Mappings by {@link HaproxyEdge} (standing in
 * for Emissary), in front of the agent that {@code devproxy intercept orders --ambassador --preview} injects (CLI and
 * daemon jars as processes, the mock API server, {@link KubeletStandIn} running the agent, {@link SampleApp} for the
 * cluster's orders and the local build: REST and gRPC on one port). Requests are made by
 * curl and a grpc-java client through HAProxy, as a browser or another service would make them at the edge.
 */
class AmbassadorEdgeTest {

  private static final String NS = "shop";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String MAPPING_API = "getambassador.io/v3alpha1";
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** The team's own routes to orders: REST on its host, gRPC matched on :authority, as in the issue. */
  private static final List<String> TEAM_MAPPINGS = List.of("""
      apiVersion: getambassador.io/v3alpha1
      kind: Mapping
      metadata: {name: orders-rest, namespace: shop}
      spec:
        hostname: shop.example.com
        prefix: /orders/
        service: orders:80
        timeout_ms: 5000
      """, """
      apiVersion: getambassador.io/v3alpha1
      kind: Mapping
      metadata: {name: orders-grpc, namespace: shop}
      spec:
        headers: {":authority": grpc.example.com}
        grpc: true
        prefix: /helloworld.Greeter/
        rewrite: /helloworld.Greeter/
        service: orders.shop:80
      """);

  @TempDir Path work;

  private final AtomicReference<KubeletStandIn> kubelet = new AtomicReference<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private PortForwardingMockServer mock;
  private KubernetesClient client;
  private Path home;

  @AfterEach
  void stop() throws Exception {
    if (home != null) {
      Jars.cli(home, "quit");
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (kubelet.get() != null) {
      kubelet.get().close();
    }
    if (client != null) {
      client.close();
    }
    if (mock != null) {
      mock.close();
    }
  }

  @Test
  void headerRoutesAndThePreviewHostReachTheLocalBuildThroughARealEdgeProxy() throws Exception {
    HaproxyEdge.assumeInstalled();
    Ports ports = Ports.free();
    mock = PortForwardingMockServer.start((ns, pod, port) -> kubelet.get() == null ? null
        : kubelet.get().podAddress(ns, pod, port));
    client = mock.client();
    CrdFiles.applyMappingCrd(client);
    for (String mapping : TEAM_MAPPINGS) {
      client.resource(YAML.unmarshal(mapping, GenericKubernetesResource.class)).create();
    }
    OrdersApp.create(client, NS, ports.app());
    kubelet.set(new KubeletStandIn(client, NS, work.resolve("kubelet"), AmbassadorEdgeTest::clusterApp).start());
    await().atMost(WAIT).until(() -> kubelet.get().runningPods().size() == 1);
    home = Files.createDirectories(work.resolve("h"));
    Files.writeString(home.resolve("config.properties"), "agentImage=ghcr.io/devproxy/traffic-agent:test\n"
        + "agentTunnelPort=" + ports.tunnel() + "\nagentAdminPort=" + ports.admin()
        + "\npreviewDomain=preview.example.com\n");
    Path kubeconfig = mock.writeKubeconfig(work.resolve("kubeconfig"), NS);
    SampleApp local = new SampleApp("local");
    local.start();
    closeables.add(local);

    Jars.Run intercept = Jars.cli(home, "intercept", "orders", "--port", Integer.toString(local.address().getPort()),
        "--kubeconfig", kubeconfig.toString(), "--key", "alice", "--ambassador", "--preview", "--timeout", "45s");

    assertThat(intercept.exitCode()).as(intercept.stderr() + kubelet.get().describe()).isZero();
    assertThat(intercept.stderr()).contains("Ambassador header routes: orders-grpc-devproxy-alice-")
        .contains("preview URL: http://alice-orders.preview.example.com/");
    assertThat(intercept.stdout()).contains("preview:").contains("http://alice-orders.preview.example.com/");
    List<GenericKubernetesResource> mappings = mappings();
    assertThat(mappings).as("2 of the team's, 2 header routes, 2 preview routes").hasSize(6);
    int agentPort = listenPort(client.apps().deployments().inNamespace(NS).withName("orders").get());
    HaproxyEdge edge = HaproxyEdge.start(work.resolve("edge"), mappings, ref -> agentOf(ref, agentPort));
    closeables.add(edge);

    // REST, by curl at the edge: the team's host, with and without the developer's header, and the preview host.
    assertThat(curl(edge, "shop.example.com", null)).as(edge.log()).isEqualTo("cluster\n");
    assertThat(curl(edge, "shop.example.com", "alice")).as(edge.log()).isEqualTo("local\n");
    assertThat(curl(edge, "shop.example.com", "bob")).as(edge.log()).isEqualTo("cluster\n");
    assertThat(curl(edge, "alice-orders.preview.example.com", null)).as("a teammate's browser: no header")
        .isEqualTo("local\n");
    // gRPC, matched on :authority: h2c through HAProxy to the agent, and on to the app or the developer.
    assertThat(sayHello(edge, "grpc.example.com", null)).as(edge.log()).isEqualTo("cluster");
    assertThat(sayHello(edge, "grpc.example.com", "alice")).as(edge.log()).isEqualTo("local");
    assertThat(sayHello(edge, "alice-orders.preview.example.com", null)).as(edge.log()).isEqualTo("local");

    Jars.Run leave = Jars.cli(home, "leave", "orders");

    assertThat(leave.exitCode()).as(leave.stderr()).isZero();
    assertThat(mappings()).extracting(m -> m.getMetadata().getName())
        .containsExactlyInAnyOrder("orders-rest", "orders-grpc");
  }

  /** The cluster's orders: REST and the Greeter on one port ({@link SampleApp}), as a gRPC-and-REST service. */
  private static AutoCloseable clusterApp(Container container, Map<String, String> env) {
    SampleApp app = new SampleApp("cluster", new InetSocketAddress(InetAddress.getLoopbackAddress(),
        container.getPorts().get(0).getContainerPort()));
    app.start();
    return app;
  }

  private static InetSocketAddress agentOf(ServiceRef ref, int agentPort) {
    if (!ref.name().equals("orders")) {
      throw new IllegalArgumentException("a Mapping routes to " + ref + "; only orders runs here");
    }
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), agentPort);
  }

  private List<GenericKubernetesResource> mappings() {
    return client.genericKubernetesResources(MAPPING_API, "Mapping").inNamespace(NS).list().getItems();
  }

  /** {@code GET http://HOST/orders/who} through the edge, by curl (the Mapping rewrites /orders/ to /). */
  private static String curl(HaproxyEdge edge, String host, String session) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "--resolve",
        host + ":" + edge.port() + ":127.0.0.1", "http://" + host + ":" + edge.port() + "/orders/who"));
    if (session != null) {
      command.addAll(List.of("-H", "x-devproxy-session: " + session));
    }
    Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(curl.waitFor(15, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  /** The Greeter's {@code served_by} for a call to {@code authority} through the edge. */
  private static String sayHello(HaproxyEdge edge, String authority, String session) throws InterruptedException {
    return EdgeGreeter.servedBy(edge.address(), authority, session);
  }

  private static int listenPort(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("devproxy-agent")).flatMap(c -> c.getEnv().stream())
        .filter(e -> e.getName().equals("DEVPROXY_LISTEN")).map(EnvVar::getValue)
        .map(v -> Integer.parseInt(v.substring(v.lastIndexOf(':') + 1))).findFirst().orElseThrow();
  }
}

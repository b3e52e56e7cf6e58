package io.devproxy.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.kube.testing.PortForwardingMockServer;
import io.devproxy.e2e.Jars;
import io.devproxy.e2e.kube.OrdersApp.Ports;
import io.devproxy.sandbox.http.RestServer;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code devproxy intercept orders --port L} as a user runs it — the CLI and daemon jars as processes — against
 * a mock API server that serves port-forwards, with {@link KubeletStandIn} running the injected agent container
 * as a real process. Everything is as in a cluster except the kubelet and the pod network (one loopback).
 */
class KubeInterceptTest {

  private static final String NS = "shop";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path work;

  private final AtomicReference<KubeletStandIn> kubelet = new AtomicReference<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private PortForwardingMockServer mock;
  private KubernetesClient client;
  private RestServer local;
  private Path home;

  @AfterEach
  void stop() throws Exception {
    if (home != null) {
      Jars.cli(home, "quit");
    }
    if (kubelet.get() != null) {
      kubelet.get().close();
    }
    if (local != null) {
      local.close();
    }
    if (client != null) {
      client.close();
    }
    if (mock != null) {
      mock.close();
    }
  }

  @Test
  void interceptInjectsTheAgentTunnelsThroughAPortForwardAndLeaveRestoresTheCluster() throws Exception {
    Ports ports = Ports.free();
    mock = PortForwardingMockServer.start((ns, pod, port) -> kubelet.get() == null ? null
        : kubelet.get().podAddress(ns, pod, port));
    client = mock.client();
    OrdersApp.create(client, NS, ports.app());
    kubelet.set(new KubeletStandIn(client, NS, work.resolve("kubelet"), OrdersApp::clusterApp).start());
    await().atMost(WAIT).until(() -> kubelet.get().runningPods().size() == 1);
    Map<String, Object> before = snapshot();
    home = Files.createDirectories(work.resolve("h"));
    Files.writeString(home.resolve("config.properties"), "agentImage=ghcr.io/devproxy/traffic-agent:test\n"
        + "agentTunnelPort=" + ports.tunnel() + "\nagentAdminPort=" + ports.admin() + "\n");
    Path kubeconfig = mock.writeKubeconfig(work.resolve("kubeconfig"), NS);
    local = new RestServer("local", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false);
    local.start();

    Jars.Run intercept = Jars.cli(home, "intercept", "orders", "--port", Integer.toString(local.address().getPort()),
        "--kubeconfig", kubeconfig.toString(), "--key", "alice", "--timeout", "45s");

    assertThat(intercept.exitCode()).as(intercept.stderr() + kubelet.get().describe()).isZero();
    assertThat(intercept.stderr()).contains("service orders → deployment/orders, container app port " + ports.app())
        .contains("injected the agent into deployment/orders; waiting for the rollout")
        .contains("deployment/orders: 1/1 pods ready with the agent");
    assertThat(intercept.stdout()).contains("intercepting orders").contains("workload:").contains("shop/deployment/orders")
        .contains("1/1 pods connected");
    int agentPort = listenPort(client.apps().deployments().inNamespace(NS).withName("orders").get());
    assertThat(get(agentPort, "alice").body()).as("with the header: the local build").isEqualTo("local\n");
    assertThat(get(agentPort, null).body()).as("without: the cluster's copy").isEqualTo("cluster\n");
    assertThat(get(agentPort, "bob").body()).isEqualTo("cluster\n");
    Jars.Run status = Jars.cli(home, "status", "-o", "json");
    assertThat(status.stdout()).contains("\"workload\": \"deployment/orders\"").contains("\"agentsConnected\": 1");
    assertThat(client.leases().inNamespace(NS).list().getItems()).hasSize(1);

    // The pod goes (a node drain, an eviction): the intercept follows its replacement.
    String firstPod = kubelet.get().runningPods().iterator().next();
    client.pods().inNamespace(NS).withName(firstPod).delete();
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(kubelet.get().runningPods()).doesNotContain(firstPod).hasSize(1);
      assertThat(getQuietly(agentPort, "alice")).as("the session on the new pod's agent").isEqualTo("local\n");
    });
    assertThat(Jars.cli(home, "status", "-o", "json").stdout()).as("the agent address names the pod")
        .contains(kubelet.get().runningPods().iterator().next());

    // The daemon dies (kill -9): the next command starts one that resumes the intercept and its port-forward.
    long daemon = Jars.daemonPid(home);
    ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> !ProcessHandle.of(daemon).map(ProcessHandle::isAlive).orElse(false));
    assertThat(Jars.cli(home, "status").exitCode()).isZero();
    assertThat(Jars.daemonPid(home)).isNotEqualTo(daemon);
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(Jars.cli(home, "status", "-o", "json").stdout()).contains("\"state\": \"ACTIVE\"");
      assertThat(getQuietly(agentPort, "alice")).isEqualTo("local\n");
    });

    Jars.Run leave = Jars.cli(home, "leave", "orders");

    assertThat(leave.exitCode()).as(leave.stderr()).isZero();
    assertThat(snapshot()).isEqualTo(before);
    await().atMost(WAIT).untilAsserted(() -> assertThat(get(ports.app(), "alice").body()).isEqualTo("cluster\n"));

    // quit restores too: the daemon leaves every intercept before it stops.
    Jars.Run again = Jars.cli(home, "intercept", "orders", "--port", Integer.toString(local.address().getPort()),
        "--kubeconfig", kubeconfig.toString(), "--key", "alice", "--timeout", "45s");
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(snapshot()).isNotEqualTo(before);
    long daemonPid = Jars.daemonPid(home);

    assertThat(Jars.cli(home, "quit").exitCode()).isZero();

    await().atMost(WAIT).until(() -> !ProcessHandle.of(daemonPid).map(ProcessHandle::isAlive).orElse(false));
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void stoppingTheCliWhileTheRolloutWaitsUndoesTheIntercept() throws Exception {
    Ports ports = Ports.free();
    mock = PortForwardingMockServer.start((ns, pod, port) -> null);
    client = mock.client();
    OrdersApp.create(client, NS, ports.app()); // no kubelet: the agent's pods never come, the rollout waits
    Map<String, Object> before = snapshot();
    home = Files.createDirectories(work.resolve("h"));
    Files.writeString(home.resolve("config.properties"), "agentTunnelPort=" + ports.tunnel() + "\nagentAdminPort="
        + ports.admin() + "\n");
    Path kubeconfig = mock.writeKubeconfig(work.resolve("kubeconfig"), NS);
    Path err = work.resolve("intercept.err");
    ProcessBuilder cli = new ProcessBuilder(Jars.java(), "-jar", Jars.CLI.toString(), "intercept", "orders",
        "--port", "8080", "--kubeconfig", kubeconfig.toString(), "--timeout", "5m")
        .redirectOutput(work.resolve("intercept.out").toFile()).redirectError(err.toFile());
    cli.environment().put("DEVPROXY_HOME", home.toString());
    cli.environment().put("DEVPROXY_DAEMON_JAR", Jars.DAEMON.toString());
    Process intercept = cli.start();
    try {
      await().atMost(WAIT).until(() -> Files.readString(err).contains("waiting for the rollout"));
      assertThat(client.apps().deployments().inNamespace(NS).withName("orders").get().getSpec().getTemplate()
          .getSpec().getContainers()).hasSize(2);

      intercept.destroy(); // SIGTERM, as Ctrl-C: the CLI cancels its call on the way out

      assertThat(intercept.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(read(err)).contains("devproxy: interrupted; the daemon undoes what intercept 'orders' changed");
    } finally {
      intercept.destroyForcibly();
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(snapshot())
        .as(() -> "CLI: " + read(err) + "\ndaemon: " + daemonLog()).isEqualTo(before));
    assertThat(Jars.cli(home, "status").stdout()).contains("no intercepts");
  }

  /** Deployments and Services as the user wrote them (spec, labels, annotations); Secrets and Leases by name. */
  private Map<String, Object> snapshot() {
    Map<String, Object> all = new java.util.TreeMap<>();
    for (Deployment d : client.apps().deployments().inNamespace(NS).list().getItems()) {
      all.put("deployment/" + d.getMetadata().getName(), List.of(String.valueOf(d.getSpec()), meta(d)));
    }
    for (Service s : client.services().inNamespace(NS).list().getItems()) {
      all.put("service/" + s.getMetadata().getName(), List.of(String.valueOf(s.getSpec()), meta(s)));
    }
    all.put("secrets", client.secrets().inNamespace(NS).list().getItems().stream()
        .map(s -> s.getMetadata().getName()).toList());
    all.put("leases", client.leases().inNamespace(NS).list().getItems().stream()
        .map(l -> l.getMetadata().getName()).toList());
    return all;
  }

  private static String meta(HasMetadata o) {
    return o.getMetadata().getLabels() + " " + o.getMetadata().getAnnotations();
  }

  /** The port the injected agent serves the Service on, from its DEVPROXY_LISTEN. */
  private static int listenPort(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("devproxy-agent")).flatMap(c -> c.getEnv().stream())
        .filter(e -> e.getName().equals("DEVPROXY_LISTEN")).map(EnvVar::getValue)
        .map(v -> Integer.parseInt(v.substring(v.lastIndexOf(':') + 1))).findFirst().orElseThrow();
  }

  private HttpResponse<String> get(int port, String session) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/who"))
        .timeout(Duration.ofSeconds(10));
    if (session != null) {
      request.header("x-devproxy-session", session);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private String daemonLog() {
    try (var files = Files.list(home.resolve("logs"))) {
      StringBuilder out = new StringBuilder();
      for (Path f : files.toList()) {
        out.append(Files.readString(f));
      }
      return out.toString();
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** The body, or the failure as text: for awaits across a pod's replacement. */
  private String getQuietly(int port, String session) {
    try {
      return get(port, session).body();
    } catch (IOException | InterruptedException e) {
      return e.toString();
    }
  }
}

package io.devproxy.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.kube.AgentSpec;
import io.devproxy.daemon.kube.AgentTlsSecrets;
import io.devproxy.daemon.kube.InterceptTarget;
import io.devproxy.daemon.kube.SidecarInstaller;
import io.devproxy.e2e.Jars;
import io.devproxy.e2e.kube.OrdersApp.Ports;
import io.devproxy.tunnel.pki.UserPki;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class KubeletStandInTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path work;

  private KubeletStandIn kubelet;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** What the app stand-ins were started with, by the pod name in their env. */
  private final Map<String, Map<String, String>> appEnv = new ConcurrentHashMap<>();
  private final Set<String> appsClosed = ConcurrentHashMap.newKeySet();

  @AfterEach
  void stop() {
    if (kubelet != null) {
      kubelet.close();
    }
  }

  @Test
  void injectedAgentRunsAsAProcessInFrontOfTheAppAndUninstallRollsItBack() throws Exception {
    String ns = "inject";
    Ports ports = Ports.free();
    OrdersApp.create(client, ns, ports.app());
    kubelet = new KubeletStandIn(client, ns, work, OrdersApp::clusterApp).start();

    Pod original = awaitOnePod("orders", p -> containerNames(p).equals(List.of("app")));
    assertThat(original.getMetadata().getName()).matches("orders-[bcdfghjklmnpqrstvwxz2456789]{10}-\\d+");
    assertThat(original.getMetadata().getLabels()).containsEntry("app", "orders").containsKey("pod-template-hash");
    assertThat(original.getStatus().getPodIP()).isEqualTo("127.0.0.1");
    assertThat(kubelet.agentProcess(original.getMetadata().getName())).isEmpty();

    AgentSpec agent = new AgentSpec("ghcr.io/devproxy/traffic-agent:test", ports.tunnel(), ports.admin(),
        AgentSpec.defaultResources(), AgentSpec.tlsSecretName("orders"));
    new AgentTlsSecrets(client, UserPki.loadOrCreate(work.resolve("alice"), "alice@laptop"))
        .ensure(ns, agent.tlsSecretName(), List.of("orders"));
    SidecarInstaller installer = new SidecarInstaller(client);
    awaitServicePortFree();
    int listenPort = installer.install(target(ns, ports.app()), agent).agentPort();

    Pod injected = awaitOnePod("orders", p -> containerNames(p).equals(List.of("app", "devproxy-agent")));
    String pod = injected.getMetadata().getName();
    assertThat(injected.getStatus().getContainerStatuses()).allMatch(ContainerStatus::getReady);
    assertThat(send("http://127.0.0.1:" + listenPort + "/who"))
        .as("unmatched traffic goes through the agent to the app")
        .satisfies(r -> assertThat(r.statusCode()).isEqualTo(200))
        .satisfies(r -> assertThat(r.body()).isEqualTo("cluster\n"))
        .satisfies(r -> assertThat(r.headers().firstValue("x-served-by")).hasValue("cluster"));
    assertThat(send("http://127.0.0.1:" + ports.admin() + "/readyz").statusCode()).isEqualTo(200);
    assertThat(kubelet.podAddress(ns, pod, ports.tunnel()))
        .isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), ports.tunnel()));
    assertThat(kubelet.podAddress(ns, pod, 1)).as("an undeclared port").isNull();
    assertThat(kubelet.podAddress("elsewhere", pod, ports.tunnel())).isNull();
    assertThat(kubelet.podAddress(ns, original.getMetadata().getName(), ports.app())).as("a deleted pod").isNull();
    await().atMost(WAIT).untilAsserted(() -> {
      Deployment d = client.apps().deployments().inNamespace(ns).withName("orders").get();
      assertThat(d.getStatus().getObservedGeneration()).isEqualTo(d.getMetadata().getGeneration());
      assertThat(List.of(d.getStatus().getReplicas(), d.getStatus().getUpdatedReplicas(),
          d.getStatus().getReadyReplicas(), d.getStatus().getAvailableReplicas())).containsOnly(1);
    });

    ProcessHandle agentProcess = kubelet.agentProcess(pod).orElseThrow();
    Path log = kubelet.agentLog(pod);
    long memoryLimit = Quantity.getAmountInBytes(AgentSpec.defaultResources().getLimits().get("memory"))
        .longValueExact();
    assertThat(agentProcess.info().commandLine()).hasValueSatisfying(c -> assertThat(c)
        .contains("-XX:MaxRAM=" + memoryLimit + " @" + Jars.AGENT_JVM_OPTIONS + " -jar " + Jars.AGENT));
    new AgentTlsSecrets(client, UserPki.loadOrCreate(work.resolve("bob"), "bob@desk"))
        .ensure(ns, agent.tlsSecretName(), List.of("orders"));
    await().atMost(WAIT).untilAsserted(() -> assertThat(Files.readString(log))
        .as("the agent re-reads its TLS directory when the Secret changes")
        .contains("Reloaded TLS material").contains("bob@desk"));
    assertThat(kubelet.agentProcess(pod)).as("no restart for a new CA").contains(agentProcess);

    installer.uninstall(ns, "Deployment", "orders");

    await().atMost(WAIT).until(() -> !agentProcess.isAlive());
    Pod restored = awaitOnePod("orders", p -> containerNames(p).equals(List.of("app")));
    assertThat(kubelet.agentProcess(restored.getMetadata().getName())).isEmpty();
    assertThat(send("http://127.0.0.1:" + ports.app() + "/who").body()).isEqualTo("cluster\n");
    assertThat(kubelet.podAddress(ns, pod, ports.tunnel())).isNull();
  }

  @Test
  void newPodWaitsForItsTlsSecretCrashedAgentRestartsAndCloseStopsEverything() throws Exception {
    String ns = "close";
    Ports ports = Ports.free();
    OrdersApp.create(client, ns, ports.app());
    kubelet = new KubeletStandIn(client, ns, work, OrdersApp::clusterApp).start();
    String original = awaitOnePod("orders", p -> true).getMetadata().getName();
    AgentSpec agent = new AgentSpec("ghcr.io/devproxy/traffic-agent:test", ports.tunnel(), ports.admin(),
        AgentSpec.defaultResources(), AgentSpec.tlsSecretName("orders"));

    new SidecarInstaller(client).install(target(ns, ports.app()), agent);

    await().atMost(WAIT).untilAsserted(() -> assertThat(kubelet.pods("orders")).as(kubelet::describe)
        .hasSize(2).last().satisfies(p -> {
          assertThat(p.getStatus().getPhase()).as("the new pod waits for the TLS Secret").isEqualTo("Pending");
          assertThat(containerStatus(p, "devproxy-agent").getState().getWaiting().getMessage())
              .contains("secret \"devproxy-agent-tls-orders\" not found");
        }));
    assertThat(kubelet.pods("orders").get(0).getMetadata().getName()).isEqualTo(original);
    assertThat(kubelet.pods("orders").get(0)).as("the old pod keeps serving meanwhile").matches(Controllers::ready);
    assertThat(send("http://127.0.0.1:" + ports.app() + "/who").body()).isEqualTo("cluster\n");

    awaitServicePortFree();
    new AgentTlsSecrets(client, UserPki.loadOrCreate(work.resolve("alice"), "alice@laptop"))
        .ensure(ns, agent.tlsSecretName(), List.of("orders"));
    String pod = awaitOnePod("orders", p -> containerNames(p).contains("devproxy-agent")).getMetadata().getName();
    ProcessHandle crashed = kubelet.agentProcess(pod).orElseThrow();

    crashed.destroyForcibly();

    await().atMost(WAIT).untilAsserted(() -> {
      ContainerStatus agentStatus = containerStatus(client.pods().inNamespace(ns).withName(pod).get(), "devproxy-agent");
      assertThat(agentStatus.getRestartCount()).as(kubelet::describe).isEqualTo(1);
      assertThat(agentStatus.getLastState().getTerminated().getExitCode()).isEqualTo(137);
      assertThat(agentStatus.getReady()).isTrue();
    });
    ProcessHandle agentProcess = kubelet.agentProcess(pod).orElseThrow();
    assertThat(agentProcess.pid()).isNotEqualTo(crashed.pid());

    kubelet.close();

    assertThat(agentProcess.isAlive()).isFalse();
    assertThat(agentProcesses()).isEmpty();
    assertThat(client.pods().inNamespace(ns).list().getItems()).isEmpty();
    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), ports.app()).close())
        .as("the app stand-in is closed").isInstanceOf(ConnectException.class);
    kubelet.close();
  }

  @Test
  void appContainersGetTheirEnvVolumesAndReadinessAndFollowScaleAndDelete() throws Exception {
    String ns = "apps";
    int probePort = Ports.free().app();
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("cfg").withNamespace(ns).endMetadata()
        .addToData("mode", "fast").build()).create();
    Container worker = new ContainerBuilder().withName("worker").withImage("registry.example.com/worker:1.0")
        .addNewEnv().withName("LITERAL").withValue("one").endEnv()
        .addNewEnv().withName("EXPANDED").withValue("$(LITERAL)-two-$$(LITERAL)").endEnv()
        .addNewEnv().withName("POD").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef()
            .endValueFrom().endEnv()
        .addNewEnv().withName("IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef()
            .endValueFrom().endEnv()
        .addNewEnv().withName("MODE").withNewValueFrom().withNewConfigMapKeyRef("mode", "cfg", false)
            .endValueFrom().endEnv()
        .addNewEnv().withName("PASSWORD").withNewValueFrom().withNewSecretKeyRef("password", "db", false)
            .endValueFrom().endEnv()
        .addNewEnv().withName("PASSWORD_FILE").withValue("/var/run/db/password").endEnv()
        .addNewVolumeMount().withName("db").withMountPath("/var/run/db").withReadOnly(true).endVolumeMount()
        .build();
    client.resource(OrdersApp.deployment(ns, "worker", Map.of("app", "worker"), 2, worker)
        .edit().editSpec().editTemplate().editSpec().addNewVolume().withName("db").withNewSecret()
            .withSecretName("db").endSecret().endVolume().endSpec().endTemplate().endSpec().build()).create();
    Container probed = new ContainerBuilder().withName("probed").withImage("registry.example.com/probed:1.0")
        .addNewPort().withName("tcp").withContainerPort(probePort).endPort()
        .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString("tcp")).endTcpSocket()
            .withFailureThreshold(1).endReadinessProbe()
        .build();
    client.resource(OrdersApp.deployment(ns, "probed", Map.of("app", "probed"), 1, probed)).create();
    kubelet = new KubeletStandIn(client, ns, work, this::recordingApp).start();

    await().atMost(WAIT).untilAsserted(() -> assertThat(kubelet.pods("worker")).as(kubelet::describe).hasSize(2)
        .allSatisfy(p -> assertThat(containerStatus(p, "worker").getState().getWaiting().getMessage())
            .contains("secret \"db\" not found")));
    client.resource(new SecretBuilder().withNewMetadata().withName("db").withNamespace(ns).endMetadata()
        .addToStringData("password", "s3cret").build()).create();
    List<Pod> workers = awaitPods("worker", 2, p -> true);
    for (Pod p : workers) {
      String name = p.getMetadata().getName();
      Map<String, String> env = appEnv.get(name);
      assertThat(env).containsEntry("LITERAL", "one").containsEntry("EXPANDED", "one-two-$(LITERAL)")
          .containsEntry("IP", "127.0.0.1").containsEntry("MODE", "fast").containsEntry("PASSWORD", "s3cret");
      assertThat(Path.of(env.get("PASSWORD_FILE"))).startsWith(work).hasContent("s3cret");
    }

    client.secrets().inNamespace(ns).withName("db")
        .edit(secret -> new SecretBuilder(secret).withData(null).withStringData(Map.of("password", "rotated")).build());
    await().atMost(WAIT).untilAsserted(() -> {
      for (Pod p : workers) {
        assertThat(Path.of(appEnv.get(p.getMetadata().getName()).get("PASSWORD_FILE"))).hasContent("rotated");
      }
    });

    Pod notReady = awaitOnePodRunning("probed");
    assertThat(Controllers.ready(notReady)).as("nothing listens on the probed port yet").isFalse();
    try (ServerSocket listening = new ServerSocket(probePort, 50, InetAddress.getLoopbackAddress())) {
      awaitPods("probed", 1, Controllers::ready);
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(kubelet.pods("probed")).singleElement()
        .matches(p -> !Controllers.ready(p), "not ready once the port closes"));

    client.apps().deployments().inNamespace(ns).withName("worker")
        .edit(d -> new DeploymentBuilder(d).editSpec().withReplicas(1).endSpec().build());
    List<Pod> scaled = awaitPods("worker", 1, p -> true);
    List<String> removed = new ArrayList<>(workers.stream().map(p -> p.getMetadata().getName()).toList());
    removed.remove(scaled.get(0).getMetadata().getName());
    await().atMost(WAIT).untilAsserted(() -> assertThat(appsClosed).containsAll(removed));

    client.apps().deployments().inNamespace(ns).withName("worker").delete();
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(kubelet.pods("worker")).isEmpty();
      assertThat(client.apps().replicaSets().inNamespace(ns).list().getItems())
          .noneMatch(rs -> rs.getMetadata().getName().startsWith("worker-"));
      assertThat(appsClosed).contains(scaled.get(0).getMetadata().getName());
    });
  }

  // --- fixtures

  private static InterceptTarget target(String ns, int appPort) {
    return new InterceptTarget(ns, "orders", "Deployment", "orders", "app", appPort, "http", 80,
        new IntOrString("http"));
  }

  /** An app stand-in that serves nothing and records its env and its closing. */
  private AutoCloseable recordingApp(Container container, Map<String, String> env) {
    String pod = env.getOrDefault("POD", container.getName());
    appEnv.put(pod, env);
    return () -> appsClosed.add(pod);
  }

  // --- waiting and reading

  /**
   * Waits until nothing listens on 15000, where SidecarInjection puts the agent's service port (its first free port
   * from 15000 up): another test's agent may still be stopping.
   */
  private static void awaitServicePortFree() {
    await("port 15000, the agent's service port, to be free").atMost(WAIT).until(() -> {
      try (ServerSocket probe = new ServerSocket(15000)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  private Pod awaitOnePod(String deployment, Predicate<Pod> matching) {
    return awaitPods(deployment, 1, p -> Controllers.ready(p) && matching.test(p)).get(0);
  }

  private Pod awaitOnePodRunning(String deployment) {
    await().atMost(WAIT).untilAsserted(() -> assertThat(kubelet.pods(deployment)).as(kubelet::describe)
        .singleElement().matches(Controllers::running, "Running"));
    return kubelet.pods(deployment).get(0);
  }

  /** Waits until the deployment has exactly {@code count} pods, all matching; returns them. */
  private List<Pod> awaitPods(String deployment, int count, Predicate<Pod> matching) {
    await().atMost(WAIT).untilAsserted(() -> assertThat(kubelet.pods(deployment)).as(kubelet::describe)
        .hasSize(count).allMatch(Controllers::running, "Running").allMatch(matching::test, "matching"));
    return kubelet.pods(deployment);
  }

  private static List<String> containerNames(Pod pod) {
    return pod.getSpec().getContainers().stream().map(Container::getName).toList();
  }

  private static ContainerStatus containerStatus(Pod pod, String container) {
    return pod.getStatus().getContainerStatuses().stream().filter(s -> container.equals(s.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no status for container " + container + " in " + pod.getStatus()));
  }

  private HttpResponse<String> send(String uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** This JVM's descendants that run the agent jar. */
  private static List<ProcessHandle> agentProcesses() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(c -> c.contains(Jars.AGENT.toString())).orElse(false))
        .toList();
  }
}

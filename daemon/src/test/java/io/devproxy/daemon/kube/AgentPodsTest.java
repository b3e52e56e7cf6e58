package io.devproxy.daemon.kube;

import io.devproxy.daemon.kube.testing.EchoClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.kube.testing.EchoServer;
import io.devproxy.daemon.kube.testing.PortForwardingMockServer;
import io.devproxy.daemon.tunnel.AgentSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link AgentPods} against the mock API server, with real port-forwards to one echo server per pod. */
class AgentPodsTest {

  private static final String NS = "shop";
  private static final Map<String, String> ORDERS = Map.of("app", "orders");
  private static final int TUNNEL_PORT = AgentSpec.DEFAULT_TUNNEL_PORT;
  private static final Duration RESYNC = Duration.ofMillis(200);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Pod name → the server standing in for its agent's tunnel port. */
  private static final Map<String, EchoServer> AGENTS = new ConcurrentHashMap<>();

  /** Held, so that the handler added to it stays: java.util.logging keeps loggers only weakly. */
  private static final Logger AGENT_PODS_LOGGER = Logger.getLogger(AgentPods.class.getName());

  private static PortForwardingMockServer mock;
  private static KubernetesClient client;

  private ScheduledExecutorService executor;
  private final Events events = new Events();
  private final LogRecords logs = new LogRecords();
  private AgentPods agentPods;

  @BeforeAll
  static void startServer() {
    mock = PortForwardingMockServer.start((namespace, pod, port) -> {
      EchoServer agent = AGENTS.get(pod);
      return NS.equals(namespace) && port == TUNNEL_PORT && agent != null ? agent.address() : null;
    });
    client = mock.client();
  }

  @AfterAll
  static void stopServer() {
    client.close();
    mock.close();
  }

  @BeforeEach
  void setUp() {
    AtomicInteger threads = new AtomicInteger();
    // Two threads, so that "never concurrently" is something the test can catch.
    executor = Executors.newScheduledThreadPool(2, r -> new Thread(r, "agent-pods-" + threads.incrementAndGet()));
    AGENT_PODS_LOGGER.addHandler(logs);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agentPods != null) {
      agentPods.close();
    }
    executor.shutdownNow();
    assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    AGENT_PODS_LOGGER.removeHandler(logs);
    mock.failWatches(false);
    client.pods().inNamespace(NS).delete();
    for (EchoServer agent : AGENTS.values()) {
      agent.close();
    }
    AGENTS.clear();
    assertThat(events.overlapped).as("listener called concurrently").isFalse();
    assertThat(events.threads).allMatch(t -> t.startsWith("agent-pods-"));
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(mock.activeForwards()).isZero());
  }

  private AgentPods start() {
    agentPods = new AgentPods(client, NS, ORDERS, TUNNEL_PORT, events, executor, RESYNC);
    agentPods.start();
    return agentPods;
  }

  /** A pod of {@code app} with an app container and the agent, created with an agent server behind it. */
  private static Pod createPod(String name, String app, String phase, boolean agentReady) throws IOException {
    EchoServer previous = AGENTS.put(name, new EchoServer("agent in " + name + "\n"));
    if (previous != null) {
      previous.close();
    }
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(NS).withLabels(Map.of("app", app))
            .withUid(UUID.randomUUID().toString()).endMetadata()
        .withNewSpec()
            .addNewContainer().withName("app").withImage("registry.example.com/" + app + ":1.0").endContainer()
            .addNewContainer().withName(AgentContainer.NAME).withImage("registry.example.com/devproxy-agent:0.1")
                .endContainer()
        .endSpec()
        .withNewStatus().withPhase(phase)
            .addNewContainerStatus().withName("app").withReady(true).endContainerStatus()
            .addNewContainerStatus().withName(AgentContainer.NAME).withReady(agentReady).endContainerStatus()
        .endStatus()
        .build();
    return client.pods().inNamespace(NS).resource(pod).create();
  }

  private static Pod createReady(String name) throws IOException {
    return createPod(name, "orders", "Running", true);
  }

  private static void setAgentReady(String name, boolean ready) {
    client.pods().inNamespace(NS).withName(name).edit(p -> new PodBuilder(p).editStatus()
        .editMatchingContainerStatus(c -> AgentContainer.NAME.equals(c.getName())).withReady(ready)
        .endContainerStatus().endStatus().build());
  }

  private static void delete(String name) {
    client.pods().inNamespace(NS).withName(name).delete();
  }

  /** Waits until two more resyncs ran, so one list started after whatever the test did last. */
  private void awaitTwoResyncs() {
    long target = agentPods.resyncs() + 2;
    await().atMost(TIMEOUT).until(() -> agentPods.resyncs() >= target);
  }

  /** The greeting of the agent behind {@code address}, over a new connection. */
  private static String greeting(InetSocketAddress address) throws IOException {
    try (Socket socket = EchoClient.connect(address, TIMEOUT)) {
      return EchoClient.readLine(socket.getInputStream());
    }
  }

  @Test
  void readyPodsOfTheWorkloadAreAddedWithWorkingForwards() throws Exception {
    createReady("orders-a");
    createReady("orders-b");
    createPod("payments-a", "payments", "Running", true);

    start();

    assertThat(events.next()).isEqualTo("added orders-a");
    assertThat(events.next()).isEqualTo("added orders-b");
    InetSocketAddress a = events.addresses.get("orders-a");
    assertThat(a.getAddress().isLoopbackAddress()).isTrue();
    assertThat(greeting(a)).isEqualTo("agent in orders-a");
    assertThat(greeting(events.addresses.get("orders-b"))).isEqualTo("agent in orders-b");
    assertThat(agentPods.pods()).containsExactly("orders-a", "orders-b");

    awaitTwoResyncs();
    assertThat(events.log).as("nothing for payments-a, nothing twice").isEmpty();
    assertThat(logs.at(Level.INFO)).anySatisfy(m -> assertThat(m)
        .startsWith("[shop/orders-a] Agent pod ready; forwarding 127.0.0.1:").endsWith(" to its port 8443"));
  }

  @Test
  void podWithoutAReadyAgentIsIgnoredUntilItsAgentIsReady() throws Exception {
    createPod("orders-a", "orders", "Running", false);
    createPod("orders-pending", "orders", "Pending", true);
    createPod("orders-failed", "orders", "Failed", true);
    start();
    awaitTwoResyncs();
    assertThat(events.log).isEmpty();
    assertThat(agentPods.pods()).isEmpty();

    setAgentReady("orders-a", true);

    assertThat(events.next()).isEqualTo("added orders-a");
    InetSocketAddress a = events.addresses.get("orders-a");
    assertThat(greeting(a)).isEqualTo("agent in orders-a");

    setAgentReady("orders-a", false);

    assertThat(events.next()).isEqualTo("removed orders-a");
    assertThat(agentPods.pods()).isEmpty();
    assertThatThrownBy(() -> greeting(a)).isInstanceOf(ConnectException.class);
    assertThat(logs.at(Level.INFO)).contains("[shop/orders-a] Agent pod removed (agent not ready); closed its"
        + " port-forward");
  }

  @Test
  void terminatingPodIsRemoved() throws Exception {
    createReady("orders-a");
    client.pods().inNamespace(NS).withName("orders-a").edit(p -> new PodBuilder(p).editMetadata()
        .addToFinalizers("example.com/hold").endMetadata().build());
    start();
    assertThat(events.next()).isEqualTo("added orders-a");

    // The finalizer holds the pod: the API server only sets its deletionTimestamp.
    delete("orders-a");

    assertThat(events.next()).isEqualTo("removed orders-a");
    assertThat(logs.at(Level.INFO)).contains("[shop/orders-a] Agent pod removed (terminating); closed its"
        + " port-forward");
    Pod terminating = client.pods().inNamespace(NS).withName("orders-a").get();
    assertThat(terminating.getMetadata().getDeletionTimestamp()).isNotNull();
    client.pods().inNamespace(NS).withName("orders-a").edit(p -> new PodBuilder(p).editMetadata()
        .withFinalizers().endMetadata().build());
    await().atMost(TIMEOUT).until(() -> client.pods().inNamespace(NS).withName("orders-a").get() == null);
  }

  @Test
  void deletedPodIsRemovedAndTheOtherKeepsItsConnection() throws Exception {
    createReady("orders-a");
    createReady("orders-b");
    start();
    assertThat(events.next()).isEqualTo("added orders-a");
    assertThat(events.next()).isEqualTo("added orders-b");
    InetSocketAddress a = events.addresses.get("orders-a");
    try (Socket throughB = EchoClient.connect(events.addresses.get("orders-b"), TIMEOUT)) {
      InputStream in = throughB.getInputStream();
      assertThat(EchoClient.readLine(in)).isEqualTo("agent in orders-b");

      delete("orders-a");

      assertThat(events.next()).isEqualTo("removed orders-a");
      assertThat(agentPods.pods()).containsExactly("orders-b");
      assertThatThrownBy(() -> greeting(a)).isInstanceOf(ConnectException.class);
      throughB.getOutputStream().write("still there?\n".getBytes(StandardCharsets.UTF_8));
      assertThat(EchoClient.readLine(in)).isEqualTo("still there?");
    }
  }

  @Test
  void scaleUpAndRollingRestartAddPods() throws Exception {
    createReady("orders-a");
    start();
    assertThat(events.next()).isEqualTo("added orders-a");

    createReady("orders-b");
    assertThat(events.next()).isEqualTo("added orders-b");
    createReady("orders-c");
    assertThat(events.next()).isEqualTo("added orders-c");

    // A rolling restart: a new pod comes up, then an old one goes.
    createReady("orders-d");
    assertThat(events.next()).isEqualTo("added orders-d");
    delete("orders-a");
    assertThat(events.next()).isEqualTo("removed orders-a");

    assertThat(agentPods.pods()).containsExactly("orders-b", "orders-c", "orders-d");
    for (String pod : agentPods.pods()) {
      assertThat(greeting(events.addresses.get(pod))).isEqualTo("agent in " + pod);
    }
  }

  @Test
  void podReplacedUnderTheSameNameGetsANewForward() throws Exception {
    Pod first = createReady("orders-0");
    start();
    assertThat(events.next()).isEqualTo("added orders-0");

    // A StatefulSet recreates its pod under the same name: same name, new UID.
    delete("orders-0");
    await().atMost(TIMEOUT).until(() -> client.pods().inNamespace(NS).withName("orders-0").get() == null);
    Pod second = createReady("orders-0");
    assertThat(second.getMetadata().getUid()).isNotEqualTo(first.getMetadata().getUid());

    assertThat(events.next()).isEqualTo("removed orders-0");
    assertThat(events.next()).isEqualTo("added orders-0");
    assertThat(greeting(events.addresses.get("orders-0"))).isEqualTo("agent in orders-0");
  }

  @Test
  void podsAreFoundWhileWatchesFail() throws Exception {
    mock.failWatches(true);
    createReady("orders-a");
    start();
    assertThat(events.next()).isEqualTo("added orders-a");

    createReady("orders-b");

    assertThat(events.next()).isEqualTo("added orders-b");
    assertThat(greeting(events.addresses.get("orders-b"))).isEqualTo("agent in orders-b");
  }

  @Test
  void closeClosesEveryForwardAndCallsNothing() throws Exception {
    createReady("orders-a");
    createReady("orders-b");
    start();
    assertThat(events.next()).isEqualTo("added orders-a");
    assertThat(events.next()).isEqualTo("added orders-b");
    InetSocketAddress a = events.addresses.get("orders-a");
    InetSocketAddress b = events.addresses.get("orders-b");
    try (Socket throughA = EchoClient.connect(a, TIMEOUT)) {
      InputStream in = throughA.getInputStream();
      assertThat(EchoClient.readLine(in)).isEqualTo("agent in orders-a");
      assertThat(AGENTS.get("orders-a").openConnections()).isEqualTo(1);

      agentPods.close();
      agentPods.close();

      assertThat(in.read()).as("the connection through the forward ends").isEqualTo(-1);
      assertThatThrownBy(() -> greeting(a)).isInstanceOf(ConnectException.class);
      assertThatThrownBy(() -> greeting(b)).isInstanceOf(ConnectException.class);
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(mock.activeForwards()).isZero());
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(AGENTS.get("orders-a").openConnections()).isZero());
      assertThat(agentPods.pods()).isEmpty();
    }

    createReady("orders-c");
    await().during(RESYNC.multipliedBy(3)).atMost(TIMEOUT).until(events.log::isEmpty);
  }

  @Test
  void forbiddenPortForwardIsLoggedOnceWithTheMissingPermission() throws Exception {
    mock.server().expect().get().withPath("/api/v1/namespaces/shop/pods/orders-x/portforward?ports=8443")
        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
            .withMessage("pods \"orders-x\" is forbidden: User \"dev\" cannot get resource \"pods/portforward\"")
            .build())
        .always();
    createReady("orders-x");
    start();
    assertThat(events.next()).isEqualTo("added orders-x");
    InetSocketAddress x = events.addresses.get("orders-x");

    for (int i = 0; i < 2; i++) {
      try (Socket socket = EchoClient.connect(x, TIMEOUT)) {
        assertThat(socket.getInputStream().read()).as("a refused port-forward closes the connection").isEqualTo(-1);
      }
      awaitTwoResyncs();
    }

    assertThat(logs.at(Level.WARNING)).containsExactly("[shop/orders-x] A connection through the port-forward to"
        + " the agent failed: forbidden: get and create pods/portforward in namespace shop; ask for the devproxy"
        + " developer Role (devproxy rbac)");
    assertThat(agentPods.pods()).containsExactly("orders-x");
  }

  @Test
  void argumentsAreChecked() {
    assertThatThrownBy(() -> new AgentPods(client, NS, Map.of(), TUNNEL_PORT, events, executor))
        .hasMessage("selector: {} (expected: at least one label)");
    assertThatThrownBy(() -> new AgentPods(client, NS, ORDERS, 0, events, executor))
        .hasMessage("tunnelPort: 0 (expected: 1-65535)");
  }

  /** Records the listener's calls, where they ran, and whether two ever overlapped. */
  private static final class Events implements AgentSource.Listener {
    final BlockingQueue<String> log = new LinkedBlockingQueue<>();
    final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean inside = new AtomicBoolean();
    volatile boolean overlapped;

    @Override
    public void added(String pod, InetSocketAddress localAddress) {
      record(() -> {
        addresses.put(pod, localAddress);
        log.add("added " + pod);
      });
    }

    @Override
    public void removed(String pod) {
      record(() -> {
        addresses.remove(pod);
        log.add("removed " + pod);
      });
    }

    private void record(Runnable call) {
      if (!inside.compareAndSet(false, true)) {
        overlapped = true;
      }
      threads.add(Thread.currentThread().getName());
      call.run();
      inside.set(false);
    }

    String next() throws InterruptedException {
      String event = log.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("an event within " + TIMEOUT).isNotNull();
      return event;
    }
  }

  /** The formatted messages AgentPods logs. */
  private static final class LogRecords extends Handler {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public void publish(LogRecord record) {
      records.add(record);
    }

    List<String> at(Level level) {
      List<String> messages = new ArrayList<>();
      for (LogRecord r : records) {
        if (r.getLevel().equals(level)) {
          messages.add(new java.util.logging.SimpleFormatter().formatMessage(r));
        }
      }
      return messages;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}

package io.devproxy.daemon.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.devproxy.daemon.kube.KubeClients;
import io.devproxy.daemon.kube.KubeOptions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortForwardingMockServerTest {

  private static final String NS = "shop";
  private static final int AGENT_PORT = 8443;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Pod name → where its port 8443 listens; pods not in here have nothing listening. */
  private static final Map<String, InetSocketAddress> LISTENING = new ConcurrentHashMap<>();

  private static EchoServer orders;
  private static HttpServer web;
  private static PortForwardingMockServer mock;
  private static KubernetesClient client;

  @BeforeAll
  static void start() throws IOException {
    orders = new EchoServer("hello from orders-1\n");
    web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    web.createContext("/hello", exchange -> {
      byte[] body = ("hello " + exchange.getRequestMethod() + " " + exchange.getRequestURI())
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Connection", "close");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    web.start();
    LISTENING.put("orders-1", orders.address());
    LISTENING.put("web-1", web.getAddress());
    mock = PortForwardingMockServer.start(
        (namespace, pod, port) -> NS.equals(namespace) && port == AGENT_PORT ? LISTENING.get(pod) : null);
    client = mock.client();
    for (String pod : new String[] {"orders-1", "web-1", "silent-1"}) {
      client.pods().inNamespace(NS).resource(pod(pod)).create();
    }
  }

  @AfterAll
  static void stop() throws IOException {
    client.close();
    mock.close();
    web.stop(0);
    orders.close();
  }

  @AfterEach
  void everyForwardEnded() {
    mock.failWatches(false);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(mock.activeForwards()).isZero());
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(orders.openConnections()).isZero());
  }

  private static Pod pod(String name) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("registry.example.com/app:1.0").endContainer()
        .endSpec().build();
  }

  private static Socket connect(LocalPortForward forward) throws IOException {
    return EchoClient.connect(new InetSocketAddress(forward.getLocalAddress(), forward.getLocalPort()), TIMEOUT);
  }

  private static LocalPortForward forward(KubernetesClient client, String pod) {
    return client.pods().inNamespace(NS).withName(pod).portForward(AGENT_PORT, InetAddress.getLoopbackAddress(), 0);
  }

  private static void close(LocalPortForward forward) throws IOException {
    forward.close();
    await().atMost(TIMEOUT).until(() -> !forward.isAlive());
  }

  @Test
  void bytesFlowBothWaysAndClosingTheForwardEndsThePodConnection() throws Exception {
    int opened = mock.forwardsOpened();
    LocalPortForward forward = forward(client, "orders-1");
    try (Socket socket = connect(forward)) {
      InputStream in = socket.getInputStream();
      assertThat(EchoClient.readLine(in)).isEqualTo("hello from orders-1");

      socket.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
      assertThat(EchoClient.readLine(in)).isEqualTo("ping");
      socket.getOutputStream().write("pong\n".getBytes(StandardCharsets.UTF_8));
      assertThat(EchoClient.readLine(in)).isEqualTo("pong");

      assertThat(mock.forwardsOpened()).isEqualTo(opened + 1);
      assertThat(mock.activeForwards()).isEqualTo(1);
      assertThat(orders.openConnections()).isEqualTo(1);

      close(forward);

      // No half-close over a port-forward: ending the forward ends both sides.
      assertThat(in.read()).isEqualTo(-1);
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(orders.openConnections()).isZero());
      assertThat(forward.errorOccurred()).isFalse();
    } finally {
      forward.close();
    }
  }

  @Test
  void payloadsLargerThanAFrameArriveIntact() throws Exception {
    byte[] payload = new byte[1 << 20];
    new Random(42).nextBytes(payload);
    LocalPortForward forward = forward(client, "orders-1");
    try (Socket socket = connect(forward)) {
      InputStream in = socket.getInputStream();
      assertThat(EchoClient.readLine(in)).isEqualTo("hello from orders-1");
      // Write while reading: the echo comes back while the rest is still on its way.
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          socket.getOutputStream().write(payload);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });

      byte[] echoed = in.readNBytes(payload.length);

      writer.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(echoed).hasSize(payload.length);
      assertThat(echoed).isEqualTo(payload);
    } finally {
      close(forward);
    }
  }

  @Test
  void httpExchangeThroughTheForwardAndPodCloseEndsTheLocalConnection() throws Exception {
    LocalPortForward forward = forward(client, "web-1");
    try (Socket socket = connect(forward)) {
      socket.getOutputStream().write("GET /hello?x=1 HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));

      // readAllBytes returns only because the pod's close travels back as the end of the WebSocket.
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

      assertThat(response).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\nhello GET /hello?x=1");
    } finally {
      close(forward);
    }
  }

  @Test
  void podMissingFromTheApiClosesTheLocalConnection() throws Exception {
    LocalPortForward forward = forward(client, "gone-1");
    try (Socket socket = connect(forward)) {
      assertThat(socket.getInputStream().read()).isEqualTo(-1);

      await().atMost(TIMEOUT).until(forward::errorOccurred);
      assertThat(forward.getServerThrowables()).anySatisfy(t -> assertThat(handshakeCode(t)).isEqualTo(404));
    } finally {
      close(forward);
    }
  }

  @Test
  void podWhereNothingListensSendsAnErrorAndClosesTheLocalConnection() throws Exception {
    LocalPortForward forward = forward(client, "silent-1");
    try (Socket socket = connect(forward)) {
      assertThat(socket.getInputStream().read()).isEqualTo(-1);

      await().atMost(TIMEOUT).until(forward::errorOccurred);
      assertThat(forward.getServerThrowables()).anySatisfy(t -> assertThat(t.getMessage())
          .contains("error forwarding port 8443 to pod shop/silent-1: nothing listens on port 8443"));
    } finally {
      close(forward);
    }
  }

  @Test
  void scriptedExpectationWinsOverThePortForward() throws Exception {
    mock.server().expect().get().withPath("/api/v1/namespaces/shop/pods/orders-1/portforward?ports=8443")
        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
            .withMessage("pods \"orders-1\" is forbidden").build())
        .once();
    LocalPortForward forward = forward(client, "orders-1");
    try (Socket socket = connect(forward)) {
      assertThat(socket.getInputStream().read()).isEqualTo(-1);

      await().atMost(TIMEOUT).until(forward::errorOccurred);
      assertThat(forward.getServerThrowables()).anySatisfy(t -> assertThat(handshakeCode(t)).isEqualTo(403));
    } finally {
      close(forward);
    }
    // once(): the next connection is forwarded again.
    LocalPortForward again = forward(client, "orders-1");
    try (Socket socket = connect(again)) {
      assertThat(EchoClient.readLine(socket.getInputStream())).isEqualTo("hello from orders-1");
    } finally {
      close(again);
    }
  }

  @Test
  void kubeconfigLetsAnotherClientUseTheServer(@TempDir Path dir) throws Exception {
    Path kubeconfig = mock.writeKubeconfig(dir.resolve("kubeconfig"), NS);

    // The client a daemon process builds: from the kubeconfig, with fabric8's defaults (HTTP/2 allowed).
    try (KubernetesClient other = KubeClients.open(new KubeOptions(null, null, kubeconfig))) {
      assertThat(other.getConfiguration().getMasterUrl()).isEqualTo(mock.url() + "/");
      assertThat(other.getNamespace()).isEqualTo(NS);
      assertThat(other.pods().withName("orders-1").get()).isNotNull();

      LocalPortForward forward = forward(other, "orders-1");
      try (Socket socket = connect(forward)) {
        assertThat(EchoClient.readLine(socket.getInputStream())).isEqualTo("hello from orders-1");
      } finally {
        close(forward);
      }
    }
  }

  private static final Watcher<Pod> IGNORE = new Watcher<>() {
    @Override
    public void eventReceived(Action action, Pod resource) {}

    @Override
    public void onClose(WatcherException cause) {}
  };

  @Test
  void closingAWatchStallsNothingAndOtherWatchesKeepTheirEvents() throws Exception {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    Watcher<Pod> recording = new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        seen.add(action + " " + pod.getMetadata().getName());
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
    try (Watch kept = client.pods().inNamespace(NS).watch(recording)) {
      // Changes right after a close reach the closing watch too. Unfixed, the first request hung for the
      // client's 10 s timeout, and its retry found the pod already created.
      assertTimeout(Duration.ofSeconds(8), () -> {
        for (int i = 0; i < 10; i++) {
          client.pods().inNamespace(NS).watch(IGNORE).close();
          client.pods().inNamespace(NS).resource(pod("churn-" + i)).create();
          client.pods().inNamespace(NS).withName("churn-" + i).delete();
        }
      });

      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(seen).contains("ADDED churn-0", "DELETED churn-0",
          "ADDED churn-9", "DELETED churn-9"));
    }

    // Each forwarded connection is a new HTTP connection; together they land on every event loop.
    for (int i = 0; i < 8; i++) {
      LocalPortForward forward = forward(client, "orders-1");
      try (Socket socket = connect(forward)) {
        socket.setSoTimeout(3_000);
        assertThat(EchoClient.readLine(socket.getInputStream())).isEqualTo("hello from orders-1");
      } finally {
        close(forward);
      }
    }
  }

  @Test
  void failWatchesMakesNewWatchesFail() {
    Watcher<Pod> ignore = IGNORE;
    // fabric8 retries a failed watch request for about 20 s by default.
    try (KubernetesClient noRetries = mock.server().createClient(
        b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig())) {
      mock.failWatches(true);

      assertThatThrownBy(() -> noRetries.pods().inNamespace(NS).watch(ignore).close())
          .isInstanceOf(KubernetesClientException.class);
      assertThat(noRetries.pods().inNamespace(NS).list().getItems()).isNotEmpty();

      mock.failWatches(false);
      Watch watch = noRetries.pods().inNamespace(NS).watch(ignore);
      watch.close();
    }
  }

  /** The HTTP status of the failed WebSocket handshake in {@code t}'s causes; -1 if none. */
  private static int handshakeCode(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof WebSocketHandshakeException h) {
        return h.getResponse().code();
      }
    }
    return -1;
  }
}

package io.devproxy.daemon.kube;

import io.devproxy.daemon.kube.testing.EchoClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.kube.testing.EchoServer;
import io.devproxy.daemon.kube.testing.PortForwardingMockServer;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LoopbackPortForwardTest {

  private static final String NS = "shop";
  private static final int PORT = 8443;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static EchoServer agent;
  private static PortForwardingMockServer mock;
  private static KubernetesClient client;

  @BeforeAll
  static void start() throws IOException {
    agent = new EchoServer("agent in orders-a\n");
    mock = PortForwardingMockServer.start((namespace, pod, port) -> agent.address());
    client = mock.client();
    client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("orders-a").endMetadata()
        .build()).create();
  }

  @AfterAll
  static void stop() throws IOException {
    client.close();
    mock.close();
    agent.close();
  }

  @AfterEach
  void nothingLeftOpen() {
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(mock.activeForwards()).isZero());
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(agent.openConnections()).isZero());
  }

  private static LoopbackPortForward open(String pod) throws IOException {
    return LoopbackPortForward.open(client.pods().inNamespace(NS).withName(pod), PORT, NS + "/" + pod);
  }

  @Test
  void connectionsAreForwardedAndAClientCloseEndsThePodConnection() throws Exception {
    try (LoopbackPortForward forward = open("orders-a")) {
      assertThat(forward.localAddress().getAddress().isLoopbackAddress()).isTrue();
      for (int i = 0; i < 3; i++) {
        try (Socket socket = EchoClient.connect(forward.localAddress(), TIMEOUT)) {
          InputStream in = socket.getInputStream();
          assertThat(EchoClient.readLine(in)).isEqualTo("agent in orders-a");
          socket.getOutputStream().write(("ping " + i + "\n").getBytes(StandardCharsets.UTF_8));
          assertThat(EchoClient.readLine(in)).isEqualTo("ping " + i);
        }
        // No half-close over a port-forward: the client's close must end the pod's connection.
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(agent.openConnections()).isZero());
      }
      assertThat(forward.isAlive()).isTrue();
      assertThat(forward.errors().count()).isZero();
    }
  }

  @Test
  void closeEndsOpenConnectionsAndTheListenerAtOnce() throws Exception {
    for (int i = 0; i < 10; i++) {
      LoopbackPortForward forward = open("orders-a");
      InetSocketAddress address = forward.localAddress();
      int opened = mock.forwardsOpened();
      try (Socket socket = EchoClient.connect(address, TIMEOUT)) {
        assertThat(EchoClient.readLine(socket.getInputStream())).isEqualTo("agent in orders-a");

        forward.close();

        assertThat(forward.isAlive()).isFalse();
        assertThat(socket.getInputStream().read()).isEqualTo(-1);
        // fabric8's LocalPortForward still accepted (and forwarded) a connection right after its close().
        assertThatThrownBy(() -> EchoClient.connect(address, TIMEOUT).close()).isInstanceOf(ConnectException.class);
        assertThat(mock.forwardsOpened()).isEqualTo(opened + 1);
      }
    }
  }

  @Test
  void refusedPortForwardsAreCounted() throws Exception {
    try (LoopbackPortForward forward = open("gone-1")) {
      for (int i = 0; i < 2; i++) {
        try (Socket socket = EchoClient.connect(forward.localAddress(), TIMEOUT)) {
          assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
      }
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(forward.errors().count()).isEqualTo(2));
      assertThat(forward.errors().last()).isInstanceOfSatisfying(WebSocketHandshakeException.class,
          e -> assertThat(e.getResponse().code()).isEqualTo(404));
      assertThat(forward.isAlive()).isTrue();
    }
  }
}

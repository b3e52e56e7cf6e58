package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.sandbox.http.RestServer;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A matched request never waits for the daemon to open its tunnel stream: the daemon keeps idle streams
 * open and replaces each one as it is used, so the request travels at once (one round trip, not two).
 */
class NoExtraRoundTripTest {

  @TempDir
  static Path root;

  static RestServer cluster;
  static RestServer local;
  static Loopback loopback;

  @BeforeAll
  static void start() throws Exception {
    loopback = Loopback.withRestServers(root);
    cluster = loopback.cluster;
    local = loopback.local;
    loopback.intercept("rt", local.address().getPort());
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
  }

  @Test
  void sequentialAndModeratelyParallelRequestsFindAnIdleStream() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> loopback.intercepts.list().get(0).getState().equals("ACTIVE"));
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + "/who"))
        .header("x-devproxy-session", Loopback.KEY).timeout(Duration.ofSeconds(10)).build();
    // The daemon fills its idle pool right after registering.
    await().atMost(Duration.ofSeconds(5)).until(() -> client.send(request, HttpResponse.BodyHandlers.ofString()).body()
        .equals("local\n"));
    long waitsBefore = loopback.agent.metrics().streamWaits();
    for (int i = 0; i < 200; i++) {
      assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("local\n");
    }
    assertThat(loopback.agent.metrics().streamWaits() - waitsBefore).isZero();
  }

  /**
   * A burst of more exchanges than the daemon keeps idle may find the pool empty (whether it does depends on how
   * fast the daemon replaces used streams): every stream the agent then had to ask for is one more the daemon keeps
   * idle from then on, so the pool ends up holding the burst, and a burst that finds the pool that large waits for
   * nothing.
   */
  @Test
  void everyStreamABurstWaitedForStaysInTheIdlePool() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> loopback.intercepts.list().get(0).getState().equals("ACTIVE"));
    int burst = 48;
    for (int round = 0; round < 10 && idleStreams() < burst; round++) {
      heldExchanges(burst);
      // AgentConnection: 8 idle streams at first, one more per stream demanded, at most 128; refilled meanwhile.
      long expected = Math.min(128, 8 + loopback.agent.metrics().streamWaits());
      await().atMost(Duration.ofSeconds(10)).until(() -> idleStreams() >= expected);
    }
    if (idleStreams() >= burst) {
      long waitsBefore = loopback.agent.metrics().streamWaits();
      heldExchanges(burst);
      assertThat(loopback.agent.metrics().streamWaits() - waitsBefore).isZero();
    }
  }

  /**
   * {@code n} matched POSTs in flight at once: every head is sent (each takes a tunnel stream) before any body, so
   * all {@code n} hold a stream together; then the bodies, and every echo is checked.
   */
  private static void heldExchanges(int n) throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        URI agent = URI.create("http://" + loopback.agentTarget());
        Socket socket = new Socket(agent.getHost(), agent.getPort());
        socket.setSoTimeout(10_000);
        sockets.add(socket);
      }
      byte[] head = ("POST /echo HTTP/1.1\r\nHost: orders\r\nx-devproxy-session: " + Loopback.KEY
          + "\r\nContent-Length: 1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      for (Socket socket : sockets) {
        socket.getOutputStream().write(head);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> loopback.agent.metrics().activeTunnelExchanges() >= n);
      for (Socket socket : sockets) {
        socket.getOutputStream().write('x');
      }
      for (Socket socket : sockets) {
        String response = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        assertThat(response).isEqualTo("HTTP/1.1 200");
      }
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  private static long idleStreams() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    String metrics = client.send(HttpRequest.newBuilder(URI.create("http://" + loopback.agent.adminAddress().getHostString()
        + ":" + loopback.agent.adminAddress().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines().filter(l -> l.startsWith("devproxy_agent_tunnel_idle_streams "))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(' ') + 1).strip())).findFirst().orElseThrow();
  }
}

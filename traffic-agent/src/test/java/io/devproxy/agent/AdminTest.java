package io.devproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.pki.UserPki;
import io.devproxy.tunnel.testing.PrometheusSamples;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's admin port: probes and Prometheus metrics, with a real app behind the agent. The tunnel-side
 * metrics (route="tunnel", connected sessions) need a daemon: e2e's AgentMetricsTest.
 */
class AdminTest {

  @TempDir
  static Path root;

  static RestServer app;
  static TrafficAgent agent;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    app = new RestServer("app");
    app.start();
    Path tlsDir = root.resolve("tls");
    UserPki.loadOrCreate(root.resolve("pki"), "alice@laptop").writeAgentTlsDir(tlsDir, List.of(), List.of());
    agent = new TrafficAgent(new AgentConfig(loopback(0), loopback(0), loopback(0), tlsDir, app.address(),
        UpstreamProtocol.AUTO, Duration.ofSeconds(2), Duration.ofSeconds(5))).start();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      agent.close();
    }
    if (app != null) {
      app.close();
    }
  }

  static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  static HttpResponse<String> get(InetSocketAddress address, String path, HttpClient.Version version)
      throws Exception {
    HttpClient client = version == HttpClient.Version.HTTP_1_1 ? http
        : HttpClient.newBuilder().version(version).connectTimeout(Duration.ofSeconds(5)).build();
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> admin(String path) throws Exception {
    return get(agent.adminAddress(), path, HttpClient.Version.HTTP_1_1);
  }

  static double metric(String nameAndLabels) throws Exception {
    return PrometheusSamples.value(admin("/metrics").body(), nameAndLabels);
  }

  @Test
  void healthzAndReadyzAnswer200() throws Exception {
    HttpResponse<String> health = admin("/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    HttpResponse<String> ready = admin("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready\n");
  }

  @Test
  void unknownPathIs404AndNonGetIs405() throws Exception {
    assertThat(admin("/nope").statusCode()).isEqualTo(404);
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + agent.adminAddress().getPort() + "/healthz"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }

  @Test
  void metricsArePrometheusTextWithEveryRouteAndSessionState() throws Exception {
    HttpResponse<String> metrics = admin("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/plain").contains("version=0.0.4"));
    Map<String, Double> samples = PrometheusSamples.parse(metrics.body());
    assertThat(samples).containsKeys(
        "devproxy_agent_requests_total{route=\"app\"}",
        "devproxy_agent_requests_total{route=\"tunnel\"}",
        "devproxy_agent_requests_total{route=\"no_app\"}",
        "devproxy_agent_requests_total{route=\"bad_request\"}",
        "devproxy_agent_tunnel_streams",
        "devproxy_agent_sessions{state=\"connected\"}",
        "devproxy_agent_sessions{state=\"grace\"}",
        "devproxy_agent_lease_cleanups_total{result=\"done\"}",
        "devproxy_agent_lease_cleanups_total{result=\"failed\"}");
    assertThat(samples.get("devproxy_agent_sessions{state=\"connected\"}")).isZero();
    assertThat(samples.get("devproxy_agent_lease_cleanups_total{result=\"done\"}")).isZero();
  }

  @Test
  void unmatchedRequestsOverBothProtocolsCountAsRouteApp() throws Exception {
    double appBefore = metric("devproxy_agent_requests_total{route=\"app\"}");
    double tunnelBefore = metric("devproxy_agent_requests_total{route=\"tunnel\"}");

    HttpResponse<String> viaH1 = get(agent.listenAddress(), "/who", HttpClient.Version.HTTP_1_1);
    HttpResponse<String> viaH2 = get(agent.listenAddress(), "/who", HttpClient.Version.HTTP_2);

    assertThat(viaH1.body()).isEqualTo("app\n");
    assertThat(viaH2.body()).isEqualTo("app\n");
    assertThat(metric("devproxy_agent_requests_total{route=\"app\"}")).isEqualTo(appBefore + 2);
    assertThat(metric("devproxy_agent_requests_total{route=\"tunnel\"}")).isEqualTo(tunnelBefore);
  }

  @Test
  void rejectedRequestCountsAsRouteBadRequestNotApp() throws Exception {
    double appBefore = metric("devproxy_agent_requests_total{route=\"app\"}");
    double badBefore = metric("devproxy_agent_requests_total{route=\"bad_request\"}");

    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), agent.listenAddress().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /who HTTP/1.1\r\nHost: x\r\nx-big: " + "a".repeat(70 * 1024) + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(response).startsWith("HTTP/1.1 431 ");
    }

    assertThat(metric("devproxy_agent_requests_total{route=\"bad_request\"}")).isEqualTo(badBefore + 1);
    assertThat(metric("devproxy_agent_requests_total{route=\"app\"}")).isEqualTo(appBefore);
  }
}

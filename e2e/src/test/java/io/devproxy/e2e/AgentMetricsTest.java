package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.testing.PrometheusSamples;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's /metrics while a daemon intercepts: matched requests count as route="tunnel", unmatched as
 * route="app", and the session shows as connected until the developer leaves. (Probes and the app-only
 * metrics: traffic-agent's AdminTest.)
 */
class AgentMetricsTest {

  static final String APP = "devproxy_agent_requests_total{route=\"app\"}";
  static final String TUNNEL = "devproxy_agent_requests_total{route=\"tunnel\"}";
  static final String CONNECTED = "devproxy_agent_sessions{state=\"connected\"}";
  static final String GRACE = "devproxy_agent_sessions{state=\"grace\"}";

  @TempDir
  static Path root;

  static RestServer cluster;
  static RestServer local;
  static Loopback loopback;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    loopback = Loopback.withRestServers(root);
    cluster = loopback.cluster;
    local = loopback.local;
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
  }

  static String metrics() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + loopback.agent.adminAddress().getPort() + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  static double metric(String nameAndLabels) throws Exception {
    return PrometheusSamples.value(metrics(), nameAndLabels);
  }

  static String who(boolean developer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + "/who"))
        .timeout(Duration.ofSeconds(20));
    if (developer) {
      request.header("x-devproxy-session", Loopback.KEY);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void routesAndSessionsWhileInterceptingAndAfterLeaving() throws Exception {
    assertThat(metric(CONNECTED)).isZero();

    InterceptInfo info = loopback.intercept("rest", local.address().getPort());

    assertThat(metric(CONNECTED)).isEqualTo(1);
    assertThat(metric(GRACE)).isZero();
    double app = metric(APP);
    double tunnel = metric(TUNNEL);

    assertThat(who(true)).isEqualTo("local\n");
    assertThat(metric(TUNNEL)).isEqualTo(tunnel + 1);
    assertThat(metric(APP)).isEqualTo(app);

    assertThat(who(false)).isEqualTo("cluster\n");
    assertThat(metric(APP)).isEqualTo(app + 1);
    assertThat(metric(TUNNEL)).isEqualTo(tunnel + 1);

    String page = metrics();
    assertThat(PrometheusSamples.parse(page)).hasEntrySatisfying(
        sessionRequests(page, info.getSessionId()), requests -> assertThat(requests).isEqualTo(1.0));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(metric("devproxy_agent_tunnel_streams")).as("exchanges still in flight").isZero());

    loopback.intercepts.leave("rest");

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(metric(CONNECTED)).isZero();
      assertThat(metric(GRACE)).isZero();
    });
    assertThat(who(true)).isEqualTo("cluster\n");
    assertThat(metric(APP)).isEqualTo(app + 2);
    assertThat(metric(TUNNEL)).isEqualTo(tunnel + 1);
  }

  /** The sample name of one session's request counter, whatever its owner label says. */
  static String sessionRequests(String page, String sessionId) {
    String prefix = "devproxy_agent_session_requests_total{session=\"" + sessionId + "\",";
    return PrometheusSamples.parse(page).keySet().stream().filter(k -> k.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no request counter for session " + sessionId + " in:\n" + page));
  }
}

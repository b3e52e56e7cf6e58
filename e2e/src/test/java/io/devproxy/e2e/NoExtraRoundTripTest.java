package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.sandbox.http.RestServer;
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
}

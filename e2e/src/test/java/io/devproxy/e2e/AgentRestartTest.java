package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent restarts (a pod restart): the daemon reconnects by itself and registers its session again. */
class AgentRestartTest {

  @TempDir
  Path root;

  Loopback loopback;

  @AfterEach
  void stop() {
    if (loopback != null) {
      loopback.close();
    }
  }

  @Test
  void daemonReconnectsAndTheInterceptWorksAgain() throws Exception {
    loopback = Loopback.withRestServers(root);
    loopback.intercept("orders", loopback.local.address().getPort());
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest matched = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + "/who"))
        .header("x-devproxy-session", Loopback.KEY).timeout(Duration.ofSeconds(10)).build();
    assertThat(client.send(matched, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("local\n");

    loopback.restartAgent();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(loopback.intercepts.list().get(0).getState()).isEqualTo("ACTIVE");
      assertThat(client.send(matched, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("local\n");
    });
    assertThat(loopback.agent.sessions().sessions()).hasSize(1);
  }
}

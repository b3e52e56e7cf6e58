package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the daemon (a real process, started by the real CLI) under steady traffic: the agent's other
 * callers never notice, the developer's requests fall back to the app once the grace period ends, and a new
 * daemon resumes the intercept by itself.
 */
class DaemonKillTest {

  static final Duration GRACE = Duration.ofSeconds(2);

  @TempDir
  Path root;

  RestServer cluster;
  RestServer local;
  Loopback loopback;
  Path home;

  @AfterEach
  void stop() throws Exception {
    if (home != null) {
      Jars.cli(home, "quit");
    }
    if (loopback != null) {
      loopback.close();
    }
    if (local != null) {
      local.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One request's outcome: who served it, or the failure. */
  record Outcome(boolean matched, long startedNanos, String servedBy, String failure) {}

  @Test
  void unmatchedNeverFailMatchedFallBackAndANewDaemonResumes() throws Exception {
    cluster = new RestServer("cluster");
    cluster.start();
    local = new RestServer("local");
    local.start();
    loopback = new Loopback(root);
    loopback.startAgent(cluster.address(), UpstreamProtocol.AUTO, GRACE);
    home = loopback.home.dir();

    Jars.Run intercept = Jars.cli(home, "intercept", "orders", "--agent-address",
        "127.0.0.1:" + loopback.agent.tunnelAddress().getPort(), "--port", Integer.toString(local.address().getPort()),
        "--key", Loopback.KEY);
    assertThat(intercept.exitCode()).as(intercept.stderr()).isZero();
    long firstDaemon = Jars.daemonPid(home);
    assertThat(firstDaemon).isPositive();

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> drivers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      boolean matched = t % 2 == 0;
      Thread driver = new Thread(() -> {
        while (running.get()) {
          long started = System.nanoTime();
          HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + "/who"))
              .timeout(Duration.ofSeconds(15));
          if (matched) {
            request.header("x-devproxy-session", Loopback.KEY);
          }
          try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            outcomes.add(new Outcome(matched, started, response.statusCode() == 200 ? response.body().trim() : null,
                response.statusCode() == 200 ? null : "status " + response.statusCode() + ": " + response.body()));
          } catch (Exception e) {
            outcomes.add(new Outcome(matched, started, null, e.toString()));
          }
          pause(); // steady traffic, not a load test: leave the CPU to the daemons being killed and started
        }
      }, "driver-" + t);
      driver.start();
      drivers.add(driver);
    }
    try {
      await().atMost(Duration.ofSeconds(10)).conditionEvaluationListener(condition -> {
            if (condition.getRemainingTimeInMS() <= 0) {
              outcomes.stream().filter(Outcome::matched).limit(5).forEach(System.out::println);
            }
          }).until(() -> count(outcomes, true, "local") > 20);

      long killedAt = System.nanoTime();
      ProcessHandle.of(firstDaemon).orElseThrow().destroyForcibly();
      await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessHandle.of(firstDaemon).map(ProcessHandle::isAlive).orElse(false));

      // Once the grace period is over, the developer's requests are served by the app.
      await().atMost(GRACE.plusSeconds(8)).conditionEvaluationListener(condition -> {
            if (condition.getRemainingTimeInMS() <= 0) {
              outcomes.stream().filter(o -> o.startedNanos() > killedAt).limit(10).forEach(System.out::println);
            }
          }).until(() -> outcomes.stream()
          .anyMatch(o -> o.matched() && o.startedNanos() > killedAt && "cluster".equals(o.servedBy())));
      long fellBackAt = System.nanoTime();
      System.out.printf("daemon kill: matched requests fell back to the app %d ms after the kill (grace %d ms)%n",
          (fellBackAt - killedAt) / 1_000_000, GRACE.toMillis());

      // A new daemon (started by the next CLI command) resumes the saved intercept.
      Jars.Run status = Jars.cli(home, "status");
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      long resumedFrom = System.nanoTime();
      await().atMost(Duration.ofSeconds(20)).until(() -> outcomes.stream()
          .anyMatch(o -> o.matched() && o.startedNanos() > resumedFrom && "local".equals(o.servedBy())));
      assertThat(Jars.daemonPid(home)).isNotEqualTo(firstDaemon);
    } finally {
      running.set(false);
      for (Thread driver : drivers) {
        driver.join(20_000);
      }
    }
    List<Outcome> unmatchedFailures = outcomes.stream().filter(o -> !o.matched() && o.failure() != null).toList();
    assertThat(unmatchedFailures).as("unmatched requests that failed").isEmpty();
    assertThat(outcomes.stream().filter(o -> !o.matched() && !"cluster".equals(o.servedBy())).count()).isZero();
    long matchedFailures = outcomes.stream().filter(o -> o.matched() && o.failure() != null).count();
    System.out.printf("daemon kill: %d requests, %d unmatched failed, %d matched failed (in flight at the kill)%n",
        outcomes.size(), unmatchedFailures.size(), matchedFailures);
    // Only exchanges in flight when the daemon died can fail; there are at most as many as matched drivers.
    assertThat(matchedFailures).isLessThanOrEqualTo(2);
  }

  static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static long count(ConcurrentLinkedQueue<Outcome> outcomes, boolean matched, String who) {
    return outcomes.stream().filter(o -> o.matched() == matched && who.equals(o.servedBy())).count();
  }
}

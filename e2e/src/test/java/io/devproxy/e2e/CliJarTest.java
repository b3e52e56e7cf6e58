package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI jar as a user runs it: errors are one line with the right exit code, in seconds. */
class CliJarTest {

  @TempDir
  Path home;

  @AfterEach
  void quit() throws Exception {
    Jars.cli(home, "quit");
  }

  @Test
  void unreachableAgentFailsInSecondsNamingTheAddress() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    long started = System.nanoTime();
    Jars.Run run = Jars.cli(home, "intercept", "orders", "--agent-address", "127.0.0.1:" + closedPort, "--port", "8080");
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    assertThat(run.exitCode()).as(run.stderr()).isEqualTo(4);
    assertThat(run.stderr().lines().filter(line -> line.startsWith("devproxy:")).toList())
        .singleElement().asString()
        .contains("127.0.0.1:" + closedPort)
        .containsIgnoringCase("refused");
    assertThat(seconds).isLessThan(30);
    Jars.Run status = Jars.cli(home, "status", "-o", "json");
    assertThat(status.exitCode()).isZero();
    assertThat(status.stdout()).doesNotContain("orders");
  }

  @Test
  void badFlagValueNamesTheFlagAndExitsTwo() throws Exception {
    Jars.Run run = Jars.cli(home, "intercept", "orders", "--agent-address", "nonsense", "--port", "8080");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("--agent-address");
    Jars.Run port = Jars.cli(home, "intercept", "orders", "--agent-address", "127.0.0.1:1", "--port", "70000");
    assertThat(port.exitCode()).isEqualTo(2);
    assertThat(port.stderr()).contains("--port");
  }
}

package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code devproxy intercept NAME ... -- CMD} as a user runs it (CLI and daemon jars as processes, the agent in this
 * JVM): the command's exit code is the CLI's, and SIGINT to the CLI (Ctrl-C) stops the command and ends the
 * intercept before the CLI exits.
 */
class InterceptCommandJarTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path root;

  private Loopback loopback;

  @BeforeEach
  void startAgent() throws Exception {
    loopback = new Loopback(root);
    loopback.startAgent(null, UpstreamProtocol.AUTO, Duration.ofSeconds(2));
  }

  @AfterEach
  void stop() throws Exception {
    Jars.cli(loopback.home.dir(), "quit");
    loopback.close();
  }

  @Test
  void theCommandsExitCodeIsTheClisAndTheInterceptEndsWithIt() throws Exception {
    Jars.Run run = Jars.cli(loopback.home.dir(), "intercept", "orders", "--agent-address", agent(), "--port", "8080",
        "--", "sh", "-c", "exit 3");

    assertThat(run.exitCode()).as(run.stderr()).isEqualTo(3);
    assertThat(run.stdout()).contains("intercepting orders");
    assertThat(Jars.cli(loopback.home.dir(), "status").stdout()).contains("no intercepts");
  }

  @Test
  void sigintStopsTheCommandAndEndsTheInterceptBeforeTheCliExits() throws Exception {
    Path started = root.resolve("started");
    ProcessBuilder cli = new ProcessBuilder(Jars.java(), "-jar", Jars.CLI.toString(), "intercept", "orders",
        "--agent-address", agent(), "--port", "8080", "--", "sh", "-c", "echo $$ > " + started + ".tmp; mv " + started + ".tmp " + started + "; exec sleep 60")
        .redirectOutput(root.resolve("cli.out").toFile()).redirectError(root.resolve("cli.err").toFile());
    cli.environment().put("DEVPROXY_HOME", loopback.home.dir().toString());
    cli.environment().put("DEVPROXY_DAEMON_JAR", Jars.DAEMON.toString());
    Process process = cli.start();
    try {
      await().atMost(WAIT).until(() -> Files.exists(started));
      assertThat(Jars.cli(loopback.home.dir(), "status").stdout()).contains("orders");

      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();

      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(Files.readString(root.resolve("cli.err"))).isTrue();
      assertThat(process.exitValue()).isEqualTo(130); // 128 + SIGINT, as a shell reports it
    } finally {
      process.destroyForcibly();
    }
    assertThat(Jars.cli(loopback.home.dir(), "status").stdout()).as("left before the CLI exited")
        .contains("no intercepts");
    long command = Long.parseLong(Files.readString(started).strip());
    assertThat(ProcessHandle.of(command).map(ProcessHandle::isAlive).orElse(false)).as("the command was stopped")
        .isFalse();
  }

  private String agent() {
    return "127.0.0.1:" + loopback.agent.tunnelAddress().getPort();
  }
}

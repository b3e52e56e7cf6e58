package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The built jars, run as a user runs them. The reactor packages them before the e2e tests run. */
public final class Jars {

  static final Path REPO = Path.of("").toAbsolutePath().getParent();
  public static final Path CLI = REPO.resolve("cli/target/devproxy-cli.jar");
  public static final Path DAEMON = REPO.resolve("daemon/target/devproxy-daemon.jar");
  public static final Path AGENT = REPO.resolve("traffic-agent/target/devproxy-traffic-agent.jar");
  /** The agent image's JVM flags, which its entrypoint passes as {@code java @jvm.options -jar …}. */
  public static final Path AGENT_JVM_OPTIONS = REPO.resolve("images/traffic-agent/jvm.options");

  private Jars() {}

  /** The java binary of this JVM, to run the jars with. */
  public static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /** The result of a finished CLI run. */
  public record Run(int exitCode, String stdout, String stderr) {}

  /** Runs the CLI with {@code DEVPROXY_HOME=home} and waits for it (at most 60 s). */
  public static Run cli(Path home, String... args) throws IOException, InterruptedException {
    assertThat(CLI).exists();
    List<String> command = new ArrayList<>(List.of(java(), "-jar", CLI.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.put("DEVPROXY_HOME", home.toString());
    env.put("DEVPROXY_DAEMON_JAR", DAEMON.toString());
    Path out = Files.createTempFile("cli", ".out");
    Path err = Files.createTempFile("cli", ".err");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("devproxy " + String.join(" ", args) + " did not finish in 60 s");
    }
    Run run = new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return run;
  }

  /** The daemon's pid from its pid file, or -1. */
  public static long daemonPid(Path home) throws IOException {
    Path pidFile = home.resolve("daemon.pid");
    if (!Files.exists(pidFile)) {
      return -1;
    }
    String text = Files.readString(pidFile).trim();
    return text.isEmpty() ? -1 : Long.parseLong(text);
  }
}

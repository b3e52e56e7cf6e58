package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./devproxy demo} from the checkout, as a user runs it: the launcher script, the CLI jar, and the agent
 * and daemon jars as the processes the demo starts. The reactor packages the jars before the e2e tests run, so
 * the script does not build.
 */
class DemoJarTest {

  static final Path REPO = Path.of("").toAbsolutePath().getParent();
  static final Path SCRIPT = REPO.resolve("devproxy");
  static final long TIMEOUT_SECONDS = 120;

  /** {@code →}, or {@code ->} when the CLI's stdout encoding has no arrow. */
  static final String ARROW = "(?:→|->)";

  @TempDir Path root;

  @Test
  void unmatchedRequestsReachTheClusterMatchedReachLocalAndNothingIsLeftRunning() throws Exception {
    assertThat(SCRIPT).isExecutable();
    for (String jar : List.of("cli/target/devproxy-cli.jar", "daemon/target/devproxy-daemon.jar",
        "traffic-agent/target/devproxy-traffic-agent.jar")) {
      assertThat(REPO.resolve(jar)).as("run the e2e tests after 'package': %s is missing", jar).isRegularFile();
    }
    // The user's own home: the demo must neither start a daemon there nor write to it.
    Path userHome = Files.createDirectory(root.resolve("user-home"));
    Path stdout = root.resolve("demo.out");
    Path stderr = root.resolve("demo.err");
    ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString(), "demo")
        .directory(root.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile());
    Map<String, String> env = builder.environment();
    env.put("DEVPROXY_HOME", userHome.toString());
    env.put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
    env.remove("DEVPROXY_DAEMON_JAR");
    env.remove("DEVPROXY_AGENT_JAR");
    env.remove("DEVPROXY_DEBUG");

    Process demo = builder.start();
    if (!demo.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
      throw new AssertionError("devproxy demo did not finish in " + TIMEOUT_SECONDS + " s; it printed:\n"
          + Files.readString(stdout, StandardCharsets.UTF_8) + Files.readString(stderr, StandardCharsets.UTF_8));
    }
    String out = Files.readString(stdout, StandardCharsets.UTF_8);
    String err = Files.readString(stderr, StandardCharsets.UTF_8);

    assertThat(demo.exitValue()).as("exit code; stdout:%n%s%nstderr:%n%s", out, err).isZero();
    String key = group(out, "--key (\\S+)");
    assertThat(out)
        .containsPattern(line("gRPC SayHello", "", "served by cluster"))
        .containsPattern(line("gRPC SayHello", "x-devproxy-session: " + key, "served by local"))
        .containsPattern(line("GET /who over HTTP/1.1", "", "served by cluster"))
        .containsPattern(line("GET /who over HTTP/1.1", "x-devproxy-session: " + key, "served by local"))
        .containsPattern(line("GET /who over HTTP/2", "", "served by cluster"))
        .containsPattern(line("GET /who over HTTP/2", "x-devproxy-session: " + key, "served by local"))
        .containsPattern(line("gRPC SayHelloStream", "x-devproxy-session: " + key, "5 replies, served by local"))
        .containsPattern(line("gRPC SayHello", "baggage: devproxy-session=" + key, "served by local"))
        .containsPattern("(?m)^\\s+unmatched\\s+.*p50 \\d+\\.\\d\\d ms\\s+p99 \\d+\\.\\d\\d ms$")
        .containsPattern("(?m)^\\s+matched\\s+.*p50 \\d+\\.\\d\\d ms\\s+p99 \\d+\\.\\d\\d ms$")
        .contains("left demo")
        .contains("daemon stopped")
        .doesNotContain("expected");
    assertThat(Pattern.compile("served by cluster").matcher(out).results().count()).isEqualTo(3);
    assertThat(Pattern.compile("served by local").matcher(out).results().count()).isEqualTo(5);

    Path demoDir = Path.of(group(out, "a demo daemon in (\\S+);"));
    long agentPid = Long.parseLong(group(out, "devproxy-traffic-agent\\.jar \\(pid (\\d+)\\)"));
    long daemonPid = Long.parseLong(group(out, "demo daemon pid (\\d+)"));
    assertThat(demoDir).as("the demo's temporary home").doesNotExist();
    assertThat(runningWith(demoDir)).as("processes still running with %s in their command line", demoDir).isEmpty();
    for (long pid : new long[] {agentPid, daemonPid}) {
      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive).flatMap(p -> p.info().commandLine())
          .filter(commandLine -> commandLine.contains(demoDir.toString())))
          .as("process %d", pid).isEmpty();
    }
    try (Stream<Path> files = Files.list(userHome)) {
      assertThat(files).as("the user's DEVPROXY_HOME").isEmpty();
    }
  }

  /** A request line: what, the marker (or none), the arrow, the outcome, aligned by spaces. */
  private static Pattern line(String what, String marker, String outcome) {
    String middle = marker.isEmpty() ? "\\s+" : "\\s+" + Pattern.quote(marker) + "\\s+";
    return Pattern.compile("(?m)^\\s+" + Pattern.quote(what) + middle + ARROW + " " + Pattern.quote(outcome) + "$");
  }

  private static String group(String text, String regex) {
    Matcher matcher = Pattern.compile(regex).matcher(text);
    assertThat(matcher.find()).as("/%s/ in:%n%s", regex, text).isTrue();
    return matcher.group(1);
  }

  private static List<String> runningWith(Path dir) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .map(p -> p.info().commandLine().orElse(""))
        .filter(commandLine -> commandLine.contains(dir.toString()))
        .toList();
  }
}

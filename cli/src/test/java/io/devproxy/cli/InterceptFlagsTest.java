package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.InterceptRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad flag values stop the CLI before it reaches (or starts) a daemon, with a line naming the flag. */
class InterceptFlagsTest {

  @TempDir Path home;

  private CliRunner.Result intercept(String flag, String value) {
    List<String> args = new ArrayList<>(List.of("intercept", "web", "--agent-address", "10.0.0.1:8443", "--port", "8080"));
    int existing = args.indexOf(flag);
    if (existing >= 0) {
      args.set(existing + 1, value);
    } else if (flag.equals("NAME")) {
      args.set(1, value);
    } else {
      args.add(flag);
      if (value != null) { // a flag without a value
        args.add(value);
      }
    }
    CliRunner cli = new CliRunner(home);
    CliRunner.Result result = cli.run(args.toArray(String[]::new));
    assertThat(cli.launches).as("daemon launches").hasValue(0);
    assertThat(home.resolve("daemon.sock")).doesNotExist();
    return result;
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--port           | 0           | devproxy: --port: 0 (expected: 1-65535)",
        "--port           | 65536       | devproxy: --port: 65536 (expected: 1-65535)",
        "--port           | http        | devproxy: --port: 'http' (expected: LOCAL[:REMOTE], e.g. 8080 or 8080:http)",
        "--port           | 8080:80     | devproxy: --port: '8080:80' (expected: LOCAL only: with --agent-address there is no Service port to choose)",
        "--mode           | swap        | devproxy: --mode cannot be combined with --agent-address (that agent is already running); leave one of them out",
        "--namespace      | shop        | devproxy: --namespace cannot be combined with --agent-address (that agent is already running); leave one of them out",
        "--ambassador     |             | devproxy: --ambassador cannot be combined with --agent-address (that agent is already running); leave one of them out",
        "--preview-host   | a.example.com | devproxy: --preview-host cannot be combined with --agent-address (that agent is already running); leave one of them out",
        "--agent-address  | agent       | devproxy: --agent-address: 'agent' (expected: HOST:PORT)",
        "--agent-address  | agent:      | devproxy: --agent-address: 'agent:' (expected: HOST:PORT)",
        "--agent-address  | :8443       | devproxy: --agent-address: ':8443' (expected: HOST:PORT)",
        "--agent-address  | agent:0     | devproxy: --agent-address: port 0 in 'agent:0' (expected: 1-65535)",
        "--agent-address  | agent:99999 | devproxy: --agent-address: port 99999 in 'agent:99999' (expected: 1-65535)",
        "--agent-address  | ::1:8443    | devproxy: --agent-address: '::1:8443' (expected: HOST:PORT, an IPv6 host in brackets)",
        "--header         | x-dev       | devproxy: --header: 'x-dev' (expected: NAME=VALUE or NAME=~REGEX)",
        "--header         | =alice      | devproxy: --header: '=alice' (expected: NAME=VALUE or NAME=~REGEX)",
        "--header         | x dev=alice | devproxy: --header: 'x dev=alice': 'x dev' is not a valid header name",
        "--header         | x-dev=~     | devproxy: --header: 'x-dev=~' (expected: a regex after '=~')",
        "--header         | x-dev=~(a   | devproxy: --header: 'x-dev=~(a' has an invalid regex: Unclosed group near index 2",
        "--local-protocol | h3          | devproxy: --local-protocol: 'h3' (expected: auto, http1 or h2c)",
        "--local-protocol | HTTP1       | devproxy: --local-protocol: 'HTTP1' (expected: auto, http1 or h2c)",
        "--path-prefix    | api         | devproxy: --path-prefix: 'api' (expected: a path starting with '/', without spaces)",
        "--key            | a b         | devproxy: --key: 'a b' (expected: letters, digits, '.', '_' or '-', at most 63)",
        "NAME             | Web_1       | devproxy: NAME: 'Web_1' (expected: a Service name: lowercase letters, digits and '-', at most 63)",
      })
  void badValueExitsWithUsageErrorNamingTheFlag(String flag, String value, String expectedLine) {
    CliRunner.Result result = intercept(flag, value);

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines().toList()).containsExactly(expectedLine, "Run 'devproxy intercept --help'.");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--port        | 8080:       | devproxy: --port: '8080:' (expected: LOCAL:REMOTE with REMOTE a Service port number or name such as http or grpc)",
        "--port        | 8080:0      | devproxy: --port: 0 (expected: 1-65535)",
        "--port        | 8080:Http_1 | devproxy: --port: '8080:Http_1' (expected: LOCAL:REMOTE with REMOTE a Service port number or name such as http or grpc)",
        "--port        | :80         | devproxy: --port: ':80' (expected: LOCAL[:REMOTE], e.g. 8080 or 8080:http)",
        "--mode        | copy        | devproxy: --mode: 'copy' (expected: sidecar, swap, shadow)",
        "--timeout     | 10x         | devproxy: --timeout: '10x' (expected: a duration such as 90s, 5m or 1h)",
        "--timeout     | 0s          | devproxy: --timeout: '0s' (expected: between 1s and 1h)",
        "--agent-image | a b         | devproxy: --agent-image: 'a b' (expected: an image reference such as registry.example.com/devproxy/traffic-agent:1.0)",
      })
  void badClusterFlagExitsWithUsageErrorNamingTheFlag(String flag, String value, String expectedLine) {
    List<String> args = new ArrayList<>(List.of("intercept", "web", "--port", "8080"));
    if (flag.equals("--port")) {
      args.set(3, value);
    } else {
      args.add(flag);
      args.add(value);
    }
    CliRunner cli = new CliRunner(home);
    CliRunner.Result result = cli.run(args.toArray(String[]::new));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines().toList()).containsExactly(expectedLine, "Run 'devproxy intercept --help'.");
    assertThat(cli.launches).as("daemon launches").hasValue(0);
  }

  @Test
  void clusterFlagsReachTheDaemon() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(home.resolve("daemon.sock"))) {
      daemon.progressLines.add("injected the agent into deployment/web; waiting for the rollout");
      CliRunner.Result result = new CliRunner(home).run("intercept", "web", "--port", "8080:grpc", "-n", "shop",
          "--context", "dev", "--mode", "shadow", "--container", "app", "--agent-image", "reg.example/agent:1",
          "--timeout", "2m", "--ambassador", "--preview-host", "alice.example.com");

      assertThat(result.exitCode()).as(result.err()).isZero();
      assertThat(result.err()).contains("injected the agent into deployment/web; waiting for the rollout");
      InterceptRequest request = daemon.interceptRequests.get(0);
      assertThat(request.getAgentAddress()).isEmpty();
      assertThat(request.getLocalPort()).isEqualTo(8080);
      assertThat(request.getRemotePort()).isEqualTo("grpc");
      assertThat(request.getKube().getNamespace()).isEqualTo("shop");
      assertThat(request.getKube().getContext()).isEqualTo("dev");
      assertThat(request.getMode()).isEqualTo("shadow");
      assertThat(request.getContainer()).isEqualTo("app");
      assertThat(request.getAgentImage()).isEqualTo("reg.example/agent:1");
      assertThat(request.getTimeoutSeconds()).isEqualTo(120);
      assertThat(request.getAmbassador()).isTrue();
      assertThat(request.getPreview()).isTrue();
      assertThat(request.getPreviewHost()).isEqualTo("alice.example.com");
    }
  }

  @Test
  void missingRequiredFlagIsNamed() {
    CliRunner cli = new CliRunner(home);

    CliRunner.Result result = cli.run("intercept", "web");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: Missing required option: '--port=LOCAL[:REMOTE]'");
    assertThat(result.err()).endsWith("Run 'devproxy intercept --help'." + System.lineSeparator());
    assertThat(cli.launches).hasValue(0);
  }

  @Test
  void unknownFlagSuggestsHelp() {
    CliRunner.Result result = new CliRunner(home).run("status", "--bogus");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("--bogus").endsWith("Run 'devproxy status --help'." + System.lineSeparator());
  }

  @Test
  void unknownOutputFormatIsAUsageError() {
    CliRunner.Result result = new CliRunner(home).run("status", "-o", "yaml");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("--output").contains("yaml");
  }

  @Test
  void noCommandIsAUsageError() {
    CliRunner.Result result = new CliRunner(home).run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err())
        .startsWith("devproxy: missing command; one of: intercept, run, leave, status, logs, quit, certs, generate-completion")
        .endsWith("Run 'devproxy --help'." + System.lineSeparator());
  }

  @Test
  void validHeaderFormsAreAccepted() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(home.resolve("daemon.sock"))) {
      CliRunner.Result result =
          new CliRunner(home)
              .run(
                  "intercept", "web", "--agent-address", "[::1]:8443", "--port", "8080",
                  "--header", "x-devproxy-session=alice",
                  "--header", ":authority=~.*\\.example\\.com",
                  "--header", "x-eq==b");

      assertThat(result.exitCode()).as(result.err()).isZero();
      assertThat(daemon.interceptRequests.get(0).getHeadersList())
          .containsExactly("x-devproxy-session=alice", ":authority=~.*\\.example\\.com", "x-eq==b");
    }
  }

  @ParameterizedTest
  @CsvSource({"intercept", "leave", "status", "logs", "quit", "certs", "certs agent", "uninstall"})
  void everyCommandHasHelp(String command) {
    List<String> args = new ArrayList<>(List.of(command.split(" ")));
    args.add("--help");

    CliRunner.Result result = new CliRunner(home).run(args.toArray(String[]::new));

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).startsWith("Usage: devproxy " + command + " ");
  }

  @Test
  void versionNamesTheBuild() {
    CliRunner.Result result = new CliRunner(home).run("--version");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).startsWith("devproxy ");
  }
}

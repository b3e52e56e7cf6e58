package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
      args.add(value);
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
        "--port           | http        | devproxy: Invalid value for option '--port': 'http' is not an int",
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

  @Test
  void missingRequiredFlagIsNamed() {
    CliRunner cli = new CliRunner(home);

    CliRunner.Result result = cli.run("intercept", "web", "--port", "8080");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: Missing required option: '--agent-address=HOST:PORT'");
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
        .startsWith("devproxy: missing command; one of: intercept, leave, status, quit, certs, generate-completion")
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
  @CsvSource({"intercept", "leave", "status", "quit", "certs", "certs agent"})
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

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code intercept --env-file/--env-json} and {@code intercept ... -- CMD}, against a fake daemon. */
class EnvAndCommandTest extends FakeDaemonHomeTest {

  private static final String[] ORDERS = {"intercept", "orders", "--port", "8080", "-n", "shop"};

  @Test
  void envFilesHoldTheContainersEnvironmentForIdesWithMode0600() throws Exception {
    startDaemon();
    Path dotenv = dir.resolve("orders.env");
    Path json = dir.resolve("orders.json");
    Files.writeString(dotenv, "OLD=1\n");

    CliRunner.Result result = new CliRunner(home()).run(concat(ORDERS, "--env-file", dotenv.toString(),
        "--env-json", json.toString()));

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(Files.readString(dotenv)).isEqualTo("DB_URL=postgres://db:5432/orders\n"
        + "GREETING=\"hello \\\"world\\\"\\nbye \\$HOME\"\n");
    assertThat(TestJson.object(TestJson.parse(Files.readString(json)))).isEqualTo(Map.of(
        "DB_URL", "postgres://db:5432/orders", "GREETING", "hello \"world\"\nbye $HOME"));
    for (Path file : new Path[] {dotenv, json}) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
    assertThat(result.err()).contains("left out DB_PASSWORD: forbidden to get secret db in namespace shop")
        .contains("2 environment variables from deployment/web container app (pod web-1), written to " + dotenv);
    assertThat(daemon.leaves).isEmpty();
  }

  @Test
  void aCommandRunsWithTheEnvironmentAndItsExitCodeEndsTheIntercept() throws Exception {
    startDaemon();
    Path seen = dir.resolve("seen");

    CliRunner.Result result = new CliRunner(home()).run(concat(ORDERS, "--", "sh", "-c",
        "printf '%s|%s' \"$DB_URL\" \"$GREETING\" > " + seen + "; exit 7"));

    assertThat(result.exitCode()).as(result.err()).isEqualTo(7);
    assertThat(Files.readString(seen)).isEqualTo("postgres://db:5432/orders|hello \"world\"\nbye $HOME");
    assertThat(daemon.leaves).containsExactly("orders");
  }

  @Test
  void aCommandAlsoGetsTheOutboundProxyVariablesWhenTheDaemonHasAProxy() throws Exception {
    startDaemon().status = daemon.status.toBuilder().setOutbound(RunCommandTest.OUTBOUND).build();
    Path seen = dir.resolve("env");

    CliRunner.Result result = new CliRunner(home()).run(concat(ORDERS, "--", "sh", "-c", "env -0 > " + seen));

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(RunCommandTest.environment(seen))
        .containsEntry("DB_URL", "postgres://db:5432/orders")
        .containsEntry("ALL_PROXY", "socks5h://127.0.0.1:41235")
        .containsEntry("HTTPS_PROXY", "http://127.0.0.1:41235");
    assertThat(result.err()).contains(
        "outbound proxy 127.0.0.1:41235 set in the environment, dialing via orders (namespace shop)");
    assertThat(daemon.leaves).containsExactly("orders");
  }

  @Test
  void withoutAnOutboundProxyTheCommandGetsNoProxyVariables() throws Exception {
    startDaemon();
    Path seen = dir.resolve("env");

    CliRunner.Result result = new CliRunner(home()).run(concat(ORDERS, "--", "sh", "-c", "env -0 > " + seen));

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(RunCommandTest.environment(seen)).containsEntry("DB_URL", "postgres://db:5432/orders")
        .doesNotContainEntry("ALL_PROXY", "socks5h://127.0.0.1:41235");
    assertThat(result.err()).doesNotContain("outbound proxy");
  }

  @Test
  void aCommandThatCannotStartEndsTheInterceptAndSaysSo() throws Exception {
    startDaemon();

    CliRunner.Result result = new CliRunner(home()).run(concat(ORDERS, "--", "/nonexistent/devproxy-test-cmd"));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("devproxy: cannot run '/nonexistent/devproxy-test-cmd':")
        .contains("the intercept was ended");
    assertThat(daemon.leaves).containsExactly("orders");
  }

  @Test
  void anUnwritableEnvFileWithACommandLeavesTheInterceptAndNamesTheFlag() throws Exception {
    startDaemon();
    Path nowhere = dir.resolve("missing-dir").resolve("orders.env");

    CliRunner.Result result = new CliRunner(home()).run(concat(ORDERS, "--env-file", nowhere.toString(), "--",
        "true"));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("devproxy: --env-file: cannot write " + nowhere);
    assertThat(daemon.leaves).containsExactly("orders");
  }

  @Test
  void aStrayArgumentIsNotTakenForACommand() {
    CliRunner cli = new CliRunner(home());

    CliRunner.Result result = cli.run("intercept", "orders", "--port", "8080", "sh");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: unexpected argument 'sh'; to run a command, put it after '--'");
    assertThat(cli.launches).hasValue(0);
  }

  private static String[] concat(String[] head, String... tail) {
    String[] all = new String[head.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }
}

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.ForwardRequest;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code devproxy run}, against a fake daemon, with real commands. */
class RunCommandTest extends FakeDaemonHomeTest {

  static final Outbound OUTBOUND =
      Outbound.newBuilder().setHost("127.0.0.1").setPort(41235).setVia("orders (namespace shop)").build();

  private static final String NO_OUTBOUND = "devproxy: no outbound proxy: connections into the cluster are dialed by an"
      + " intercept's agent; start an intercept first ('devproxy intercept SVC --port P')" + System.lineSeparator();

  private FakeDaemon startWithOutbound(Outbound outbound) throws Exception {
    FakeDaemon fake = startDaemon();
    fake.status = fake.status.toBuilder().setOutbound(outbound).build();
    return fake;
  }

  @Test
  void theCommandSeesTheProxyVariablesOnTopOfItsOwnEnvironment() throws Exception {
    startWithOutbound(OUTBOUND);
    Path seen = dir.resolve("env");

    CliRunner.Result result = new CliRunner(home()).run("run", "--", "sh", "-c", "env -0 > " + seen);

    assertThat(result.exitCode()).as(result.err()).isZero();
    Map<String, String> env = environment(seen);
    assertThat(env)
        .containsEntry("ALL_PROXY", "socks5h://127.0.0.1:41235")
        .containsEntry("all_proxy", "socks5h://127.0.0.1:41235")
        .containsEntry("HTTP_PROXY", "http://127.0.0.1:41235")
        .containsEntry("http_proxy", "http://127.0.0.1:41235")
        .containsEntry("HTTPS_PROXY", "http://127.0.0.1:41235")
        .containsEntry("https_proxy", "http://127.0.0.1:41235")
        .containsEntry("grpc_proxy", "http://127.0.0.1:41235")
        .containsEntry("PATH", System.getenv("PATH"))
        .doesNotContainKey("GRPC_PROXY_EXP");
    assertThat(env.get("NO_PROXY")).isEqualTo(env.get("no_proxy")).endsWith("localhost,127.0.0.1,::1");
    assertThat(env.get("JAVA_TOOL_OPTIONS")).endsWith("-DsocksProxyHost=127.0.0.1 -DsocksProxyPort=41235"
        + " -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=41235 -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=41235"
        + " -Dhttp.nonProxyHosts=localhost|127.*|[::1]");
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).isEqualTo("outbound proxy 127.0.0.1:41235 set in the environment, dialing via orders"
        + " (namespace shop)" + System.lineSeparator());
  }

  @Test
  void envFromPutsTheInterceptsEnvironmentUnderTheProxyVariables() throws Exception {
    FakeDaemon fake = startWithOutbound(OUTBOUND);
    fake.envReply = fake.envReply.toBuilder()
        .addVariables(variable("JAVA_TOOL_OPTIONS", "-agentlib:jdwp=transport=dt_socket,server=y,address=5005"))
        .addVariables(variable("NO_PROXY", ".internal.example.com, localhost"))
        .addVariables(variable("HTTPS_PROXY", "http://corp-proxy:3128"))
        .build();
    Path seen = dir.resolve("env");

    CliRunner.Result result = new CliRunner(home()).run("run", "--env-from", "orders", "--", "sh", "-c",
        "env -0 > " + seen);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(fake.envRequests).containsExactly("orders");
    Map<String, String> env = environment(seen);
    assertThat(env)
        .containsEntry("DB_URL", "postgres://db:5432/orders")
        .containsEntry("GREETING", "hello \"world\"\nbye $HOME")
        .containsEntry("HTTPS_PROXY", "http://127.0.0.1:41235");
    assertThat(env.get("JAVA_TOOL_OPTIONS"))
        .startsWith("-agentlib:jdwp=transport=dt_socket,server=y,address=5005 -DsocksProxyHost=127.0.0.1 ");
    assertThat(env.get("NO_PROXY")).startsWith(".internal.example.com,localhost,127.0.0.1,::1");
    assertThat(Arrays.asList(env.get("NO_PROXY").split(","))).doesNotHaveDuplicates();
    assertThat(result.err().lines().toList()).containsExactly(
        "left out DB_PASSWORD: forbidden to get secret db in namespace shop",
        "5 environment variables from deployment/web container app (pod web-1)",
        "outbound proxy 127.0.0.1:41235 set in the environment, dialing via orders (namespace shop)");
  }

  @Test
  void exitsWithTheCommandsExitCode() throws Exception {
    startWithOutbound(OUTBOUND);

    CliRunner.Result result = new CliRunner(home()).run("run", "--", "sh", "-c", "exit 7");

    assertThat(result.exitCode()).as(result.err()).isEqualTo(7);
  }

  @Test
  void withoutAnOutboundProxyItSaysToStartAnInterceptAndRunsNothing() throws Exception {
    startDaemon();
    Path ran = dir.resolve("ran");

    CliRunner.Result result = new CliRunner(home()).run("run", "--forward", "orders.shop:50051", "--", "touch",
        ran.toString());

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).isEqualTo(NO_OUTBOUND);
    assertThat(ran).doesNotExist();
    assertThat(daemon.forwardRequests).isEmpty();
  }

  @Test
  void anOutboundProxyOnPortZeroIsNone() throws Exception {
    startWithOutbound(Outbound.newBuilder().setHost("127.0.0.1").build());

    CliRunner.Result result = new CliRunner(home()).run("run", "--", "true");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).isEqualTo(NO_OUTBOUND);
  }

  @Test
  void withoutADaemonItSaysToStartAnInterceptAndStartsNone() {
    CliRunner cli = new CliRunner(home());

    CliRunner.Result result = cli.run("run", "--", "true");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).isEqualTo(NO_OUTBOUND);
    assertThat(cli.launches).hasValue(0);
  }

  @Test
  void withoutAnAgentItWarnsOnOneLineAndStillRuns() throws Exception {
    startWithOutbound(OUTBOUND.toBuilder().clearVia().build());
    Path ran = dir.resolve("ran");

    CliRunner.Result result = new CliRunner(home()).run("run", "--", "touch", ran.toString());

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(ran).exists();
    assertThat(result.err()).isEqualTo("warning: no agent is connected to dial through the outbound proxy"
        + " 127.0.0.1:41235 yet: connections through it fail until an intercept's agent connects ('devproxy status'"
        + " shows it)" + System.lineSeparator());
  }

  @Test
  void forwardsStayOpenWhileTheCommandRunsAndCloseWhenItExits() throws Exception {
    FakeDaemon fake = startWithOutbound(OUTBOUND);
    Path running = dir.resolve("running");
    Path go = dir.resolve("go");

    CompletableFuture<CliRunner.Result> run = CompletableFuture.supplyAsync(() -> new CliRunner(home()).run("run",
        "--forward", "orders.shop:50051:15051", "--forward", "web:8080", "--", "sh", "-c",
        "touch " + running + "; while [ ! -e " + go + " ]; do sleep 0.05; done; exit 3"));

    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(running));
    assertThat(fake.forwardRequests).containsExactly(ForwardRequest.newBuilder()
        .addForwards("orders.shop:50051:15051").addForwards("web:8080").build());
    assertThat(fake.forwardCancels).hasValue(0);
    Files.createFile(go);
    CliRunner.Result result = run.get(20, TimeUnit.SECONDS);

    assertThat(result.exitCode()).as(result.err()).isEqualTo(3);
    assertThat(result.err().lines().toList()).containsExactly(
        "forwarding 127.0.0.1:15051 \u2192 orders.shop:50051",
        "forwarding 127.0.0.1:15080 \u2192 web:8080",
        "outbound proxy 127.0.0.1:41235 set in the environment, dialing via orders (namespace shop)");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(fake.forwardCancels).hasValue(1));
  }

  @Test
  void aForwardTheDaemonRefusesIsTheErrorAndExitCodeAndNothingRuns() throws Exception {
    FakeDaemon fake = startWithOutbound(OUTBOUND);
    fake.forwardError = new DevproxyException(ErrorCategory.CONFIG,
        "--forward orders.shop:50051:15051: local port 15051 is in use; choose another LOCAL_PORT");
    Path ran = dir.resolve("ran");

    CliRunner.Result result = new CliRunner(home()).run("run", "--forward", "orders.shop:50051:15051", "--", "touch",
        ran.toString());

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.err()).isEqualTo("devproxy: --forward orders.shop:50051:15051: local port 15051 is in use;"
        + " choose another LOCAL_PORT" + System.lineSeparator());
    assertThat(ran).doesNotExist();
  }

  @Test
  void aCommandThatCannotStartClosesTheForwardsAndSaysSo() throws Exception {
    FakeDaemon fake = startWithOutbound(OUTBOUND);

    CliRunner.Result result = new CliRunner(home()).run("run", "--forward", "web:8080", "--",
        "/nonexistent/devproxy-test-cmd");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines().toList()).last().asString()
        .startsWith("devproxy: cannot run '/nonexistent/devproxy-test-cmd': ")
        .endsWith("; check the command after '--'");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(fake.forwardCancels).hasValue(1));
  }

  @Test
  void aMalformedForwardIsAFlagErrorAndReachesNoDaemon() throws Exception {
    startWithOutbound(OUTBOUND);

    CliRunner.Result result = new CliRunner(home()).run("run", "--forward", "orders", "--", "true");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: --forward: 'orders' (expected: SERVICE:PORT[:LOCAL_PORT], e.g."
        + " orders.shop:50051 or orders:50051:15051)" + System.lineSeparator());
    assertThat(daemon.forwardRequests).isEmpty();
  }

  @Test
  void aForwardPortOutOfRangeIsAFlagError() {
    CliRunner.Result result = new CliRunner(home()).run("run", "--forward", "orders.shop:50051:70000", "--", "true");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: --forward: 70000 (expected: 1-65535)");
  }

  @Test
  void theCommandGoesAfterDashes() {
    CliRunner missing = new CliRunner(home());
    CliRunner stray = new CliRunner(home());

    CliRunner.Result none = missing.run("run", "--forward", "web:8080");
    CliRunner.Result noDashes = stray.run("run", "env");

    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).startsWith("devproxy: missing the command to run; put it after '--', e.g. devproxy run --"
        + " ./gradlew bootRun");
    assertThat(noDashes.exitCode()).isEqualTo(2);
    assertThat(noDashes.err()).startsWith("devproxy: unexpected argument 'env'; to run a command, put it after '--'");
    assertThat(new CliRunner(home()).run("run", "sh", "-c", "env").err())
        .startsWith("devproxy: Unknown option: '-c'; to run a command, put it after '--'");
    assertThat(missing.launches).hasValue(0);
    assertThat(stray.launches).hasValue(0);
  }

  /** The variables {@code env -0} wrote. */
  static Map<String, String> environment(Path file) throws Exception {
    Map<String, String> env = new HashMap<>();
    for (String entry : new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\0")) {
      int equals = entry.indexOf('=');
      if (equals > 0) {
        env.put(entry.substring(0, equals), entry.substring(equals + 1));
      }
    }
    return env;
  }

  private static EnvVar variable(String name, String value) {
    return EnvVar.newBuilder().setName(name).setValue(value).build();
  }
}

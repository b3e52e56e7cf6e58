package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class InterceptCommandTest {

  @TempDir Path dir;

  private final AtomicReference<FakeDaemon> daemon = new AtomicReference<>();

  @AfterEach
  void tearDown() {
    if (daemon.get() != null) {
      daemon.get().close();
    }
  }

  private Path home() {
    return dir.resolve("home");
  }

  private FakeDaemon startDaemon() {
    try {
      Files.createDirectories(home());
      daemon.set(new FakeDaemon(home().resolve("daemon.sock")));
      return daemon.get();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String[] WEB = {"intercept", "web", "--agent-address", "10.0.0.1:8443", "--port", "8080"};

  @Test
  void sendsTheRequestAndPrintsTheIntercept() {
    FakeDaemon fake = startDaemon();

    CliRunner.Result result =
        new CliRunner(home())
            .run(
                "intercept", "web", "--agent-address", "10.0.0.1:8443", "--port", "8080",
                "--local-protocol", "h2c", "--header", "x-tenant=acme", "--header", "x-dev=~ali.*",
                "--path-prefix", "/api", "--key", "alice");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(fake.interceptRequests)
        .containsExactly(
            InterceptRequest.newBuilder()
                .setName("web")
                .setAgentAddress("10.0.0.1:8443")
                .setLocalPort(8080)
                .setLocalProtocol("h2c")
                .addHeaders("x-tenant=acme")
                .addHeaders("x-dev=~ali.*")
                .setPathPrefix("/api")
                .setKey("alice")
                .build());
    assertThat(result.out().lines().toList())
        .containsExactly(
            "intercepting web",
            "  matcher:  x-devproxy-session: alice or baggage devproxy-session=alice",
            "  key:      alice",
            "  agent:    10.0.0.1:8443",
            "  local:    localhost:8080 (h2c)",
            "  state:    ACTIVE");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void forwardsGoInTheRequestAsTypedAndAreShown() {
    FakeDaemon fake = startDaemon();

    CliRunner.Result result = new CliRunner(home()).run(concat(WEB, "--forward", "orders.shop:50051:15051",
        "--forward", "web:8080"));
    CliRunner.Result json = new CliRunner(home()).run(concat(WEB, "--forward", "orders.shop:50051:15051", "-o",
        "json"));

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(fake.interceptRequests.get(0).getForwardsList()).containsExactly("orders.shop:50051:15051", "web:8080");
    assertThat(result.out().lines().toList()).containsSubsequence(
        "  local:    localhost:8080 (auto)",
        "  forward:  127.0.0.1:15051 \u2192 orders.shop:50051",
        "  forward:  127.0.0.1:15080 \u2192 web:8080",
        "  state:    ACTIVE");
    assertThat(TestJson.array(TestJson.object(TestJson.parse(json.out())).get("forwards"))).containsExactly(
        Map.of("host", "orders.shop", "port", 50051.0, "localPort", 15051.0));
  }

  @Test
  void aMalformedForwardIsAFlagError() {
    FakeDaemon fake = startDaemon();

    CliRunner.Result result = new CliRunner(home()).run(concat(WEB, "--forward", "orders.shop:grpc"));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: --forward: 'orders.shop:grpc' (expected: SERVICE:PORT[:LOCAL_PORT]");
    assertThat(fake.interceptRequests).isEmpty();
  }

  @Test
  void defaultsLeaveTheDaemonToChoose() {
    FakeDaemon fake = startDaemon();

    new CliRunner(home()).run(WEB);

    InterceptRequest sent = fake.interceptRequests.get(0);
    assertThat(sent.getLocalProtocol()).isEqualTo("auto");
    assertThat(sent.getKey()).isEmpty();
    assertThat(sent.getPathPrefix()).isEmpty();
    assertThat(sent.getHeadersList()).isEmpty();
    assertThat(sent.getForwardsList()).isEmpty();
  }

  @Test
  void printsTheInterceptAsJson() {
    startDaemon();

    CliRunner.Result result = new CliRunner(home()).run(concat(WEB, "-o", "json"));

    assertThat(result.exitCode()).as(result.err()).isZero();
    Map<String, Object> json = TestJson.object(TestJson.parse(result.out()));
    assertThat(json)
        .containsEntry("name", "web")
        .containsEntry("agentAddress", "10.0.0.1:8443")
        .containsEntry("localPort", 8080.0)
        .containsEntry("state", "ACTIVE");
  }

  @ParameterizedTest
  @EnumSource(ErrorCategory.class)
  void daemonErrorPrintsOneLineAndExitsWithItsCategoryCode(ErrorCategory category) {
    startDaemon().nextError = new DevproxyException(category, "cannot reach agent 10.0.0.1:8443: connection refused");

    CliRunner.Result result = new CliRunner(home()).run(WEB);

    assertThat(result.exitCode()).isEqualTo(category.exitCode());
    assertThat(result.out()).isEmpty();
    assertThat(result.err())
        .isEqualTo("devproxy: cannot reach agent 10.0.0.1:8443: connection refused" + System.lineSeparator());
  }

  @Test
  void startsTheDaemonWhenItIsNotRunning() {
    CliRunner cli =
        new CliRunner(
            home(),
            h -> {
              startDaemon();
              return ProcessHandle.current();
            },
            Duration.ofSeconds(15));

    CliRunner.Result result = cli.run(WEB);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.launches).hasValue(1);
    assertThat(daemon.get().interceptRequests).hasSize(1);
  }

  @Test
  void createsAPrivateHomeBeforeStartingTheDaemon() throws Exception {
    CliRunner cli =
        new CliRunner(
            home(),
            h -> {
              startDaemon();
              return ProcessHandle.current();
            },
            Duration.ofSeconds(15));

    cli.run(WEB);

    assertThat(Files.getPosixFilePermissions(home())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(home().resolve("logs")).isDirectory();
  }

  @Test
  void doesNotStartASecondDaemonWhenOneRuns() {
    startDaemon();
    CliRunner cli = new CliRunner(home());

    cli.run(WEB);

    assertThat(cli.launches).hasValue(0);
  }

  @Test
  void daemonThatNeverListensIsUnreachable() {
    CliRunner cli = new CliRunner(home(), h -> ProcessHandle.current(), Duration.ofMillis(200));

    CliRunner.Result result = cli.run(WEB);

    assertThat(result.exitCode()).isEqualTo(6);
    assertThat(result.err().lines().toList())
        .singleElement()
        .asString()
        .startsWith("devproxy: the daemon did not open " + home().resolve("daemon.sock"))
        .contains("check " + home().resolve("logs/daemon.log"));
  }

  @Test
  void daemonThatExitsWhileStartingIsUnreachable() throws Exception {
    Process dead = new ProcessBuilder("true").start();
    dead.waitFor();
    CliRunner cli = new CliRunner(home(), h -> dead.toHandle(), Duration.ofSeconds(15));

    CliRunner.Result result = cli.run(WEB);

    assertThat(result.exitCode()).isEqualTo(6);
    assertThat(result.err())
        .isEqualTo(
            "devproxy: the daemon exited while starting; check "
                + home().resolve("logs/daemon.log")
                + " and "
                + home().resolve("logs/daemon.out")
                + System.lineSeparator());
  }

  @Test
  void launcherFailureIsUnreachable() {
    CliRunner cli =
        new CliRunner(
            home(),
            h -> {
              throw new DaemonUnreachableException("cannot start the daemon: devproxy-daemon.jar not found");
            },
            Duration.ofSeconds(15));

    CliRunner.Result result = cli.run(WEB);

    assertThat(result.exitCode()).isEqualTo(6);
    assertThat(result.err()).isEqualTo("devproxy: cannot start the daemon: devproxy-daemon.jar not found" + System.lineSeparator());
  }


  private static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}

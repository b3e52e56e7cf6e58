package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusCommandTest extends FakeDaemonHomeTest {

  private static final InterceptInfo WEB =
      InterceptInfo.newBuilder()
          .setName("web")
          .setSessionId("s-1")
          .setKey("alice")
          .setAgentAddress("10.0.0.1:8443")
          .setLocalPort(8080)
          .setLocalProtocol("auto")
          .setMatcher("x-devproxy-session: alice")
          .setState("ACTIVE")
          .setRequests(12)
          .setTunnelRttMicros(1250)
          .build();

  private static final InterceptInfo CART =
      InterceptInfo.newBuilder()
          .setName("cart-service")
          .setKey("alice")
          .setAgentAddress("agent.shop.svc:9443")
          .setLocalPort(9090)
          .setState("RECONNECTING")
          .setLastError("agent.shop.svc:9443: connection refused")
          .build();

  @Test
  void notRunningSaysSoWithoutStartingOrCreatingAnything() {
    CliRunner cli = new CliRunner(home());

    CliRunner.Result result = cli.run("status");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("daemon: not running (home " + home() + ")" + System.lineSeparator());
    assertThat(result.err()).isEmpty();
    assertThat(cli.launches).hasValue(0);
    assertThat(home()).doesNotExist();
  }

  @Test
  void staleSocketCountsAsNotRunning() throws Exception {
    Files.createDirectories(home());
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(home().resolve("daemon.sock")));
    }
    CliRunner cli = new CliRunner(home());

    CliRunner.Result result = cli.run("status");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).startsWith("daemon: not running");
    assertThat(cli.launches).hasValue(0);
  }

  @Test
  void notRunningAsJson() throws Exception {
    CliRunner.Result result = new CliRunner(home()).run("status", "-o", "json");

    assertThat(result.exitCode()).isZero();
    Map<String, Object> json = TestJson.object(TestJson.parse(result.out()));
    assertThat(TestJson.object(json.get("daemon"))).containsEntry("running", false).containsEntry("home", home().toString());
    assertThat(TestJson.array(json.get("intercepts"))).isEmpty();
  }

  @Test
  void tableListsTheDaemonAndItsIntercepts() throws Exception {
    startDaemon().status =
        StatusReply.newBuilder().setVersion("1.2.3").setPid(4242).setHome("/home/alice/.devproxy")
            .addIntercepts(WEB).addIntercepts(CART).build();

    CliRunner.Result result = new CliRunner(home()).run("status");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList())
        .containsExactly(
            "daemon: running (version 1.2.3, pid 4242, home /home/alice/.devproxy)",
            "NAME          KEY    AGENT                LOCAL  STATE         REQUESTS  RTT",
            "web           alice  10.0.0.1:8443        8080   ACTIVE        12        1.3ms",
            "cart-service  alice  agent.shop.svc:9443  9090   RECONNECTING  0         -",
            "cart-service: last error: agent.shop.svc:9443: connection refused");
  }

  @Test
  void clusterInterceptsShowTheirWorkloadAndConnectedPods() throws Exception {
    InterceptInfo orders = WEB.toBuilder().setName("orders").setAgentAddress("orders-7d9-1, orders-7d9-2")
        .setNamespace("shop").setWorkload("deployment/orders").setMode("shadow").setShadowService("orders-devproxy-alice")
        .setAgents(2).setAgentsConnected(1).setState("CONNECTING").build();
    startDaemon().status = StatusReply.newBuilder().setVersion("1.2.3").setPid(1).setHome("/h").addIntercepts(orders)
        .build();

    CliRunner.Result table = new CliRunner(home()).run("status");
    CliRunner.Result json = new CliRunner(home()).run("status", "-o", "json");

    assertThat(table.out().lines().toList()).contains(
        "orders  alice  shop/deployment/orders 1/2  8080   CONNECTING  12        1.3ms");
    Map<String, Object> intercept =
        TestJson.object(TestJson.array(TestJson.object(TestJson.parse(json.out())).get("intercepts")).get(0));
    assertThat(intercept).containsEntry("namespace", "shop").containsEntry("workload", "deployment/orders")
        .containsEntry("mode", "shadow").containsEntry("shadowService", "orders-devproxy-alice")
        .containsEntry("agents", 2.0).containsEntry("agentsConnected", 1.0);
  }

  @Test
  void showsTheOutboundProxyAndTheForwards() throws Exception {
    InterceptInfo orders = WEB.toBuilder().setName("orders")
        .addForwards(ForwardInfo.newBuilder().setHost("orders.shop").setPort(50051).setLocalPort(15051)).build();
    startDaemon().status = StatusReply.newBuilder().setVersion("1.2.3").setPid(1).setHome("/h").addIntercepts(orders)
        .setOutbound(Outbound.newBuilder().setHost("127.0.0.1").setPort(41235).setVia("orders (namespace shop)"))
        .build();

    CliRunner.Result table = new CliRunner(home()).run("status");
    CliRunner.Result json = new CliRunner(home()).run("status", "-o", "json");

    assertThat(table.exitCode()).as(table.err()).isZero();
    assertThat(table.out().lines().toList()).containsExactly(
        "daemon: running (version 1.2.3, pid 1, home /h)",
        "outbound proxy: 127.0.0.1:41235 (SOCKS5 and HTTP), dialing via orders (namespace shop)",
        "NAME    KEY    AGENT          LOCAL  STATE   REQUESTS  RTT",
        "orders  alice  10.0.0.1:8443  8080   ACTIVE  12        1.3ms",
        "orders: forward 127.0.0.1:15051 \u2192 orders.shop:50051");
    Map<String, Object> root = TestJson.object(TestJson.parse(json.out()));
    assertThat(TestJson.object(root.get("outbound"))).isEqualTo(Map.of(
        "host", "127.0.0.1", "port", 41235.0, "via", "orders (namespace shop)"));
    assertThat(TestJson.array(TestJson.object(TestJson.array(root.get("intercepts")).get(0)).get("forwards")))
        .containsExactly(Map.of("host", "orders.shop", "port", 50051.0, "localPort", 15051.0));
  }

  @Test
  void anOutboundProxyWithoutAnAgentSaysToStartAnIntercept() throws Exception {
    startDaemon().status = StatusReply.newBuilder().setVersion("1.2.3").setPid(1).setHome("/h")
        .setOutbound(Outbound.newBuilder().setHost("127.0.0.1").setPort(41235)).build();

    CliRunner.Result result = new CliRunner(home()).run("status");

    assertThat(result.out().lines().toList()).containsExactly(
        "daemon: running (version 1.2.3, pid 1, home /h)",
        "outbound proxy: 127.0.0.1:41235 (SOCKS5 and HTTP), no agent connected: start an intercept",
        "no intercepts");
  }

  @Test
  void withoutAnOutboundProxyJsonSaysNull() throws Exception {
    startDaemon();

    CliRunner.Result result = new CliRunner(home()).run("status", "-o", "json");

    Map<String, Object> root = TestJson.object(TestJson.parse(result.out()));
    assertThat(root).containsKey("outbound");
    assertThat(root.get("outbound")).isNull();
  }

  @Test
  void tableWithoutIntercepts() throws Exception {
    startDaemon();

    CliRunner.Result result = new CliRunner(home()).run("status");

    assertThat(result.out().lines().toList())
        .containsExactly("daemon: running (version 9.9.9, pid 321, home /h)", "no intercepts");
  }

  @Test
  void jsonCarriesEveryFieldEscaped() throws Exception {
    InterceptInfo odd =
        WEB.toBuilder().setMatcher("x-a: \"q\" \\ \n\t\u0001 é \u2028 😀").setLastError("line1\nline2").build();
    startDaemon().status =
        StatusReply.newBuilder().setVersion("1.2.3").setPid(4242).setHome("/h\"ome").addIntercepts(odd).build();

    CliRunner.Result result = new CliRunner(home()).run("status", "--output", "JSON");

    assertThat(result.exitCode()).as(result.err()).isZero();
    Map<String, Object> json = TestJson.object(TestJson.parse(result.out()));
    assertThat(TestJson.object(json.get("daemon")))
        .containsEntry("running", true)
        .containsEntry("version", "1.2.3")
        .containsEntry("pid", 4242.0)
        .containsEntry("home", "/h\"ome");
    List<Object> intercepts = TestJson.array(json.get("intercepts"));
    assertThat(intercepts).hasSize(1);
    assertThat(TestJson.object(intercepts.get(0)))
        .containsEntry("name", "web")
        .containsEntry("sessionId", "s-1")
        .containsEntry("key", "alice")
        .containsEntry("agentAddress", "10.0.0.1:8443")
        .containsEntry("localPort", 8080.0)
        .containsEntry("localProtocol", "auto")
        .containsEntry("matcher", "x-a: \"q\" \\ \n\t\u0001 é \u2028 😀")
        .containsEntry("state", "ACTIVE")
        .containsEntry("lastError", "line1\nline2")
        .containsEntry("requests", 12.0)
        .containsEntry("tunnelRttMicros", 1250.0);
  }

  @Test
  void daemonErrorMapsToItsExitCode() throws Exception {
    startDaemon().nextError = new DevproxyException(ErrorCategory.CLUSTER, "kube API unreachable");

    CliRunner.Result result = new CliRunner(home()).run("status");

    assertThat(result.exitCode()).isEqualTo(4);
    assertThat(result.err()).isEqualTo("devproxy: kube API unreachable" + System.lineSeparator());
  }
}

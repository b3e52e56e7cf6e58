package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.e2e.outbound.ProxiedGreeter;
import io.devproxy.sandbox.http.SampleApp;
import io.devproxy.tunnel.pki.UserPki;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound access as a user gets it: the CLI and daemon jars, and the agent jar in a process of its own whose
 * resolver knows {@code catalog} and {@code catalog.shop.svc.cluster.local} (a hosts file standing in for the
 * cluster's DNS) — names nothing on this side resolves. Real clients, configured only by what {@code devproxy run}
 * puts in their environment: curl over SOCKS5 (socks5h), HTTP CONNECT and an absolute-form proxy request, a Java
 * client through {@code socksProxyHost} and through {@code http.proxyHost}, grpc-java through {@code https.proxyHost},
 * and a {@code --forward} port.
 */
class OutboundJarTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path root;

  private static Path home;
  private static ChildProcess agent;
  private static SampleApp catalog;
  private static int catalogPort;

  @BeforeAll
  static void start() throws Exception {
    catalog = new SampleApp("catalog-in-the-cluster");
    catalogPort = catalog.start().getPort();
    home = root.resolve("home");
    DevproxyHome devproxyHome = DevproxyHome.open(home);
    Path tlsDir = Files.createDirectories(root.resolve("agent-tls"));
    UserPki.loadOrCreate(devproxyHome.pkiDir(), TunnelIntercepts.ownerName()).writeAgentTlsDir(tlsDir, List.of(),
        List.of());
    Path hosts = Files.writeString(root.resolve("cluster-hosts"),
        "127.0.0.1 localhost\n127.0.0.1 catalog catalog.shop.svc.cluster.local\n");
    int tunnelPort = freePort();
    int adminPort = freePort();
    ProcessBuilder builder = new ProcessBuilder(Jars.java(), "-jar", Jars.AGENT.toString(),
        "--listen", "127.0.0.1:" + freePort(), "--tunnel-listen", "127.0.0.1:" + tunnelPort,
        "--admin-listen", "127.0.0.1:" + adminPort, "--tls-dir", tlsDir.toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(root.resolve("agent.log").toFile());
    builder.environment().put("JAVA_TOOL_OPTIONS", "-Djdk.net.hosts.file=" + hosts);
    agent = ChildProcess.start(builder, "agent", Duration.ofSeconds(10));
    awaitReady(adminPort);
    Jars.Run intercept = Jars.cli(home, "intercept", "catalog-dev", "--agent-address", "127.0.0.1:" + tunnelPort,
        "--port", "18080");
    assertThat(intercept.exitCode()).as(intercept.stderr()).isZero();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (home != null) {
        Jars.cli(home, "quit");
      }
    } finally {
      if (agent != null) {
        agent.close();
      }
      if (catalog != null) {
        catalog.close();
      }
    }
  }

  @Test
  void statusShowsTheProxyAndWhoDials() throws Exception {
    Jars.Run status = Jars.cli(home, "status");

    assertThat(status.stdout()).containsPattern("outbound proxy: 127\\.0\\.0\\.1:\\d+ \\(SOCKS5 and HTTP\\), dialing via"
        + " catalog-dev \\(agent at 127\\.0\\.0\\.1:\\d+\\)");
  }

  @Test
  void curlOverSocks5ReachesANameOnlyTheClusterResolves() throws Exception {
    Jars.Run run = run("sh", "-c", "curl -sS --max-time 20 --proxy \"$ALL_PROXY\" http://catalog:" + catalogPort + "/who");

    assertThat(run.exitCode()).as(run.stderr()).isZero();
    assertThat(run.stdout()).contains("catalog-in-the-cluster");
    assertThat(run.stderr()).contains("dialing via catalog-dev");
  }

  @Test
  void curlThroughHttpConnectAndAnAbsoluteFormRequest() throws Exception {
    Jars.Run connect = run("sh", "-c", "curl -sS --max-time 20 -p -x \"$HTTP_PROXY\" http://catalog.shop.svc.cluster.local:"
        + catalogPort + "/who");
    assertThat(connect.exitCode()).as(connect.stderr()).isZero();
    assertThat(connect.stdout()).contains("catalog-in-the-cluster");

    // Nothing but the environment: curl reads http_proxy for http:// URLs and sends an absolute-form request.
    Jars.Run plain = run("curl", "-sS", "--max-time", "20", "http://catalog:" + catalogPort + "/who");
    assertThat(plain.exitCode()).as(plain.stderr()).isZero();
    assertThat(plain.stdout()).contains("catalog-in-the-cluster");
  }

  @Test
  void aJavaClientTakesTheProxyFromJavaToolOptions() throws Exception {
    Path client = Path.of("src/test/resources/outbound/ProxiedClient.java").toAbsolutePath();
    for (String mode : List.of("socket", "url")) {
      Jars.Run run = run(Jars.java(), client.toString(), mode, "catalog", Integer.toString(catalogPort));

      assertThat(run.exitCode()).as(mode + ": " + run.stderr()).isZero();
      assertThat(run.stdout()).as(mode).contains("catalog-in-the-cluster");
      assertThat(run.stderr()).as(mode).contains("Picked up JAVA_TOOL_OPTIONS").contains("-DsocksProxyHost=127.0.0.1");
    }
  }

  @Test
  void grpcJavaConnectsThroughTheHttpProxyFromJavaToolOptions() throws Exception {
    Jars.Run run = run(Jars.java(), "-cp", System.getProperty("java.class.path"), ProxiedGreeter.class.getName(),
        "catalog.shop.svc.cluster.local", Integer.toString(catalogPort));

    assertThat(run.exitCode()).as(run.stderr()).isZero();
    assertThat(run.stdout()).contains("served by catalog-in-the-cluster");
  }

  @Test
  void aForwardPortReachesTheServiceForClientsThatTakeNoProxy() throws Exception {
    int local = freePort();
    Jars.Run run = run("--forward", "catalog:" + catalogPort + ":" + local, "--",
        "curl", "-sS", "--max-time", "20", "--noproxy", "*", "http://127.0.0.1:" + local + "/who");

    assertThat(run.exitCode()).as(run.stderr()).isZero();
    assertThat(run.stdout()).contains("catalog-in-the-cluster");
    assertThat(run.stderr()).contains("forwarding 127.0.0.1:" + local + " → catalog:" + catalogPort);
    try (ServerSocket again = new ServerSocket(local, 1, InetAddress.getLoopbackAddress())) {
      assertThat(again.getLocalPort()).as("the forward closed with the command").isEqualTo(local);
    }
  }

  @Test
  void aNameTheClusterCannotResolveFailsFastWithTheAgentsError() throws Exception {
    long started = System.nanoTime();
    Jars.Run socks = run("sh", "-c", "curl -sS --max-time 30 --proxy \"$ALL_PROXY\" http://nosuch:80/");
    Jars.Run connect = run("sh", "-c", "curl -sS --max-time 30 -p -x \"$HTTP_PROXY\" http://nosuch:80/");
    Jars.Run absolute = run("curl", "-sS", "--max-time", "30", "http://nosuch/");

    assertThat(socks.exitCode()).as("curl: SOCKS5 host unreachable").isEqualTo(97);
    assertThat(socks.stderr()).contains("(4)");
    assertThat(connect.exitCode()).as(connect.stderr()).isEqualTo(56);
    assertThat(connect.stderr()).contains("502");
    assertThat(absolute.exitCode()).isZero();
    assertThat(absolute.stdout()).contains("cannot resolve nosuch in the cluster");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no hang").isLessThan(Duration.ofSeconds(20));
  }

  private static Jars.Run run(String... command) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("run"));
    if (!command[0].equals("--forward")) {
      args.add("--");
    }
    args.addAll(List.of(command));
    return Jars.cli(home, args.toArray(String[]::new));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void awaitReady(int adminPort) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
        .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!agent.process().isAlive()) {
        throw new AssertionError("the agent exited: " + Files.readString(root.resolve("agent.log")));
      }
      try {
        if (client.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the agent was not ready in " + WAIT + ": " + Files.readString(root.resolve("agent.log")));
  }
}

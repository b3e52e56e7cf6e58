package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.daemon.kube.testing.EchoServer;
import io.devproxy.daemon.outbound.DialException;
import io.devproxy.daemon.outbound.ForwardSpec;
import io.devproxy.daemon.outbound.LocalForwards;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound dials through a real agent on loopback, under the proxies: the daemon's Dial streams, the agent's
 * resolver and connections, the relay's half-close and flow control, and what fails how.
 */
class DialThroughAgentTest {

  private static final String GREETING = "hello from the cluster\n";

  @TempDir Path root;

  private Loopback loopback;
  private EchoServer echo;

  @BeforeEach
  void start() throws Exception {
    loopback = new Loopback(root);
    loopback.startAgent(null, UpstreamProtocol.AUTO, Duration.ofSeconds(2));
    loopback.startDaemon();
    echo = new EchoServer(GREETING);
  }

  @AfterEach
  void stop() throws Exception {
    echo.close();
    loopback.close();
  }

  @Test
  void withoutAnInterceptThereIsNoAgentToDialFrom() {
    assertThat(loopback.intercepts.via()).isEmpty();
    assertThatThrownBy(() -> loopback.intercepts.dial("127.0.0.1", echo.address().getPort()).get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(DialException.class)
        .hasMessageContaining("devproxy intercept SERVICE --port PORT")
        .satisfies(e -> assertThat(((DialException) e).kind()).isEqualTo(DialException.Kind.NO_AGENT));
  }

  @Test
  void bytesFlowBothWaysAndHalfClosesTravel() throws Exception {
    loopback.intercept("orders", 8080);
    assertThat(loopback.intercepts.via()).startsWith("orders (agent at 127.0.0.1:");
    byte[] payload = new byte[4 * 1024 * 1024];
    new Random(7).nextBytes(payload);
    try (LocalForwards forward = forwardTo("127.0.0.1", echo.address().getPort());
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), localPort(forward))) {
      socket.setSoTimeout(20_000);
      Thread writer = new Thread(() -> {
        try {
          socket.getOutputStream().write(payload);
          socket.shutdownOutput(); // the echo server sends the rest and closes only after our EOF reached it
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(received);
      writer.join(20_000);

      byte[] bytes = received.toByteArray();
      byte[] greeting = GREETING.getBytes(StandardCharsets.UTF_8);
      assertThat(Arrays.copyOf(bytes, greeting.length)).isEqualTo(greeting);
      assertThat(Arrays.copyOfRange(bytes, greeting.length, bytes.length)).isEqualTo(payload);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> echo.openConnections() == 0);
    assertThat(loopback.agent.metrics().dials(AgentMetrics.DialResult.CONNECTED)).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> loopback.agent.metrics().activeDials() == 0);
  }

  @Test
  void aResetLocalConnectionClosesTheRemoteOne() throws Exception {
    loopback.intercept("orders", 8080);
    try (LocalForwards forward = forwardTo("127.0.0.1", echo.address().getPort())) {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), localPort(forward));
      socket.setSoTimeout(10_000);
      assertThat(socket.getInputStream().read(new byte[GREETING.length()])).isPositive();
      assertThat(echo.openConnections()).isEqualTo(1);
      socket.setSoLinger(true, 0);
      socket.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> echo.openConnections() == 0);
    }
  }

  @Test
  void aRefusedPortAndAnUnknownNameFailFastWithTheAgentsReason() throws Exception {
    loopback.intercept("orders", 8080);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    long started = System.nanoTime();
    assertThatThrownBy(() -> loopback.intercepts.dial("127.0.0.1", closedPort).get(20, TimeUnit.SECONDS))
        .cause().isInstanceOf(DialException.class)
        .hasMessageContaining("cannot connect to 127.0.0.1 (127.0.0.1:" + closedPort + ")")
        .satisfies(e -> assertThat(((DialException) e).kind()).isEqualTo(DialException.Kind.REFUSED));
    assertThatThrownBy(() -> loopback.intercepts.dial("nosuch.invalid", 80).get(20, TimeUnit.SECONDS))
        .cause().isInstanceOf(DialException.class)
        .hasMessageContaining("cannot resolve nosuch.invalid in the cluster")
        .satisfies(e -> assertThat(((DialException) e).kind()).isEqualTo(DialException.Kind.UNRESOLVED));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("well within the dial timeout")
        .isLessThan(Duration.ofSeconds(10));
    AgentMetrics metrics = loopback.agent.metrics();
    assertThat(metrics.dials(AgentMetrics.DialResult.REFUSED)).isEqualTo(1);
    assertThat(metrics.dials(AgentMetrics.DialResult.UNRESOLVED)).isEqualTo(1);
    assertThat(metrics.dials(AgentMetrics.DialResult.CONNECTED)).isZero();
  }

  @Test
  void anInterceptsForwardPortsLiveAsLongAsTheIntercept() throws Exception {
    int local;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      local = s.getLocalPort();
    }
    InterceptInfo info = loopback.intercepts.intercept(InterceptRequest.newBuilder().setName("orders")
        .setAgentAddress("127.0.0.1:" + loopback.agent.tunnelAddress().getPort()).setLocalPort(8080).setKey("alice")
        .addForwards("127.0.0.1:" + echo.address().getPort() + ":" + local).build());

    assertThat(info.getForwardsList()).singleElement().satisfies(f -> {
      assertThat(f.getHost()).isEqualTo("127.0.0.1");
      assertThat(f.getPort()).isEqualTo(echo.address().getPort());
      assertThat(f.getLocalPort()).isEqualTo(local);
    });
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), local)) {
      socket.setSoTimeout(10_000);
      byte[] greeting = socket.getInputStream().readNBytes(GREETING.length());
      assertThat(new String(greeting, StandardCharsets.UTF_8)).isEqualTo(GREETING);
    }

    loopback.intercepts.leave("orders");

    try (ServerSocket again = new ServerSocket(local, 1, InetAddress.getLoopbackAddress())) {
      assertThat(again.getLocalPort()).as("closed on leave").isEqualTo(local);
    }
  }

  @Test
  void aMalformedForwardFailsTheInterceptBeforeAnythingStarts() {
    assertThatThrownBy(() -> loopback.intercepts.intercept(InterceptRequest.newBuilder().setName("orders")
        .setAgentAddress("127.0.0.1:" + loopback.agent.tunnelAddress().getPort()).setLocalPort(8080)
        .addForwards("orders:http").build()))
        .isInstanceOf(DevproxyException.class)
        .hasMessageContaining("--forward orders:http");
    assertThat(loopback.intercepts.list()).isEmpty();
  }

  private LocalForwards forwardTo(String host, int port) throws Exception {
    return LocalForwards.open(List.of(new ForwardSpec(host, port, 0)), loopback.intercepts, loopback.daemonLoops);
  }

  private static int localPort(LocalForwards forwards) {
    return forwards.infos().get(0).getLocalPort();
  }
}

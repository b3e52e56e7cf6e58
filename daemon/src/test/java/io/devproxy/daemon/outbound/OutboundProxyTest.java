package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The proxy's life cycle: listening, deadlines, closing, and dials that outlive their client. */
class OutboundProxyTest extends FixtureTest {

  private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  @Test
  void listensOnLoopbackOnly() throws Exception {
    try (OutboundProxy proxy = fixture.proxy(fixture.dialer())) {
      assertThat(proxy.address().getAddress().isLoopbackAddress()).isTrue();
      assertThat(proxy.address().getPort()).isPositive();
    }
    assertThatThrownBy(() -> OutboundProxy.start(new InetSocketAddress(0), fixture.dialer(), fixture.group))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: a loopback address");
  }

  @Test
  void aBusyPortIsAConfigErrorSayingWhatToDo() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), busy.getLocalPort());

      DevproxyException e = catchThrowableOfType(DevproxyException.class,
          () -> OutboundProxy.start(bind, fixture.dialer(), fixture.group));

      assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG);
      assertThat(e).hasMessage("cannot listen for the outbound proxy on 127.0.0.1:" + busy.getLocalPort()
          + ": Address already in use; set outboundPort in config.properties to a free port, or 0");
    }
  }

  @Test
  void aSilentClientIsClosedAfterTheHandshakeTimeout() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    try (OutboundProxy proxy = OutboundProxy.start(ANY_PORT, dialer, fixture.group, Duration.ofMillis(300))) {
      try (RawClient silent = new RawClient(proxy.address());
          RawClient partial = new RawClient(proxy.address())) {
        partial.write("CONNECT echo.shop:7 HTTP/1.1\r\nHost: ech");

        assertThat(silent.closedByPeer()).isTrue();
        assertThat(partial.closedByPeer()).isTrue();
      }
      assertThat(dialer.dials()).isEmpty();
      ProxyFixture.assertClean(proxy, dialer);
    }
  }

  @Test
  void theHandshakeTimeoutDoesNotCutAnEstablishedConnection() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    try (OutboundProxy proxy = OutboundProxy.start(ANY_PORT, dialer, fixture.group, Duration.ofMillis(300));
        RawClient client = new RawClient(proxy.address())) {
      client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, "echo.shop", 7));
      assertThat(client.socksReply()).isZero();

      // Relays throughout, for three times the handshake deadline.
      await().during(Duration.ofMillis(900)).atMost(ProxyFixture.TIMEOUT)
          .until(() -> client.write("still here\n").readString(11).equals("still here\n"));
    }
  }

  @Test
  void aClientLeavingMidDialAbortsTheConnectionWhenItArrives() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    CompletableFuture<DialedConnection> dial = dialer.manual("slow.shop");
    FakeConnection connection = new FakeConnection();
    try (OutboundProxy proxy = fixture.proxy(dialer)) {
      try (RawClient client = new RawClient(proxy.address())) {
        client.write("CONNECT slow.shop:443 HTTP/1.1\r\n\r\n");
        await().atMost(ProxyFixture.TIMEOUT).until(() -> !dialer.dials().isEmpty());
      }
      await().atMost(ProxyFixture.TIMEOUT).until(() -> proxy.openConnections() == 0);

      dial.complete(connection);

      assertThat(connection.aborted.await(ProxyFixture.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(connection.attached).isNull();
    }
  }

  @Test
  void closeEndsLiveConnectionsAndTheListener() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    OutboundProxy proxy = fixture.proxy(dialer);
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, "echo.shop", 7));
      assertThat(client.socksReply()).isZero();
      assertThat(client.write("ping\n").readString(5)).isEqualTo("ping\n");

      proxy.close();

      assertThat(client.closedByPeer()).isTrue();
      await().atMost(ProxyFixture.TIMEOUT).until(() -> fixture.echo.openConnections() == 0);
      ProxyFixture.assertNothingListensOn(proxy.address().getPort());
    } finally {
      proxy.close();
    }
  }

  @Test
  void aDialThatCompletesAfterCloseIsAborted() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    CompletableFuture<DialedConnection> dial = dialer.manual("slow.shop");
    FakeConnection connection = new FakeConnection();
    OutboundProxy proxy = fixture.proxy(dialer);
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, "slow.shop", 443));
      await().atMost(ProxyFixture.TIMEOUT).until(() -> !dialer.dials().isEmpty());

      proxy.close();
      dial.complete(connection);

      assertThat(connection.aborted.await(ProxyFixture.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(connection.attached).isNull();
    }
  }

  /** A dialed connection that only records what the proxy did with it. */
  private static final class FakeConnection implements DialedConnection {
    final CountDownLatch aborted = new CountDownLatch(1);
    volatile Channel attached;

    @Override
    public String remoteAddress() {
      return "10.96.0.1:443";
    }

    @Override
    public void attach(Channel socket) {
      attached = socket;
      socket.close();
    }

    @Override
    public void abort() {
      aborted.countDown();
    }
  }
}

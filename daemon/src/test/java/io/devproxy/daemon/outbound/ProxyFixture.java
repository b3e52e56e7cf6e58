package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.kube.testing.EchoServer;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.netty.EventLoops;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What the outbound tests share: an event loop group, "cluster services" on loopback ports (an echo server as
 * {@code echo.shop}, an HTTP server as {@code orders.shop}) and a {@link LoopbackDialer} that knows them.
 */
final class ProxyFixture implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(15);

  final EventLoopGroup group = EventLoops.newGroup("outbound-test", 2);
  final EchoServer echo;
  final OriginServer origin;

  ProxyFixture() throws IOException {
    echo = new EchoServer("");
    origin = new OriginServer();
  }

  /** A dialer knowing {@code echo.shop} and {@code orders.shop}, any port. */
  LoopbackDialer dialer() {
    return new LoopbackDialer(group).map("echo.shop", echo.address()).map("orders.shop", origin.address());
  }

  OutboundProxy proxy(LoopbackDialer dialer) throws DevproxyException {
    return OutboundProxy.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), dialer, group);
  }

  /** After a test: the attach contract held, and no connection outlived its client. */
  static void assertClean(OutboundProxy proxy, LoopbackDialer dialer) {
    assertThat(dialer.violations()).isEmpty();
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(proxy.openConnections()).isZero());
  }

  /**
   * Nothing listens on the loopback {@code port}: binding it succeeds, or, when another socket holds it as its local
   * port (an outgoing connection of some other process: the bind fails although nothing listens), connecting to it
   * is refused. (Connecting alone would not do: a client socket can be given that very port as its own and connect
   * to itself.)
   */
  static void assertNothingListensOn(int port) throws IOException {
    try {
      new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close();
    } catch (BindException held) {
      assertThatExceptionOfType(ConnectException.class).as("something listens on port %d", port)
          .isThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close());
    }
  }

  @Override
  public void close() throws IOException {
    echo.close();
    origin.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}

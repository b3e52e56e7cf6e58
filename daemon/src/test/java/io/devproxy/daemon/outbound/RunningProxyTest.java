package io.devproxy.daemon.outbound;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A proxy and its dialer per test; after each test the attach contract held and no connection outlived its
 * client ({@link ProxyFixture#assertClean}).
 */
abstract class RunningProxyTest extends FixtureTest {

  LoopbackDialer dialer;
  OutboundProxy proxy;

  @BeforeEach
  void startProxy() throws Exception {
    dialer = fixture.dialer();
    proxy = fixture.proxy(dialer);
  }

  @AfterEach
  void stopProxy() {
    try {
      ProxyFixture.assertClean(proxy, dialer);
    } finally {
      proxy.close();
    }
  }

  /** The proxy's {@code host:port}, as clients are configured with it. */
  String address() {
    return "127.0.0.1:" + proxy.address().getPort();
  }
}

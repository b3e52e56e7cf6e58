package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LocalForwardsTest extends FixtureTest {

  @Test
  void aForwardPortReachesTheNamedService() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    try (LocalForwards forwards = LocalForwards.open(
        List.of(ForwardSpec.parse("echo.shop:7:0"), ForwardSpec.parse("orders.shop:8080:0")), dialer, fixture.group)) {
      List<ForwardInfo> infos = forwards.infos();
      assertThat(infos).extracting(ForwardInfo::getHost, ForwardInfo::getPort)
          .containsExactly(tuple("echo.shop", 7),
              tuple("orders.shop", 8080));
      assertThat(infos).allSatisfy(info -> assertThat(info.getLocalPort()).isPositive());

      try (RawClient client = new RawClient(local(infos.get(0)))) {
        assertThat(client.write("ping\n").readString(5)).isEqualTo("ping\n");
      }
      Curl.Result curl = Curl.run("http://127.0.0.1:" + infos.get(1).getLocalPort() + "/x");
      assertThat(curl.body()).startsWith("GET /x ");

      assertThat(dialer.dials()).containsExactly("echo.shop:7", "orders.shop:8080");
      assertThat(dialer.violations()).isEmpty();
      await().atMost(ProxyFixture.TIMEOUT).until(() -> forwards.openConnections() == 0);
    }
  }

  @Test
  void whatTheClientSendsWhileTheDialRunsArrives() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    CompletableFuture<Void> gate = dialer.hold("echo.shop");
    try (LocalForwards forwards = LocalForwards.open(List.of(ForwardSpec.parse("echo.shop:7:0")), dialer,
            fixture.group);
        RawClient client = new RawClient(local(forwards.infos().get(0)))) {
      client.write("first\n");
      await().atMost(ProxyFixture.TIMEOUT).until(() -> !dialer.dials().isEmpty());
      client.write("second\n");
      gate.complete(null);

      assertThat(client.readString(13)).isEqualTo("first\nsecond\n");
    }
  }

  @Test
  void moreThanTheEarlyByteLimitSentDuringTheDialArrivesIntact() throws Exception {
    byte[] payload = new byte[1024 * 1024];
    new Random(3).nextBytes(payload);
    LoopbackDialer dialer = fixture.dialer();
    CompletableFuture<Void> gate = dialer.hold("echo.shop");
    try (LocalForwards forwards = LocalForwards.open(List.of(ForwardSpec.parse("echo.shop:7:0")), dialer,
            fixture.group);
        RawClient client = new RawClient(local(forwards.infos().get(0)))) {
      // Blocks once the proxy stops reading (64 KiB) and the socket buffers are full, until the dial completes.
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          client.write(payload);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      await().atMost(ProxyFixture.TIMEOUT).until(() -> !dialer.dials().isEmpty());
      gate.complete(null);

      assertThat(client.read(payload.length)).isEqualTo(payload);
      written.get(ProxyFixture.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void aFailedDialClosesTheLocalConnection() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    try (LocalForwards forwards = LocalForwards.open(List.of(ForwardSpec.parse("nosuch.shop:80:0")), dialer,
            fixture.group);
        RawClient client = new RawClient(local(forwards.infos().get(0)))) {
      assertThat(client.closedByPeer()).isTrue();
      assertThat(dialer.dials()).containsExactly("nosuch.shop:80");
    }
  }

  @Test
  void aBusyLocalPortIsAUserErrorAndNothingStaysListening() throws Exception {
    int free;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      free = probe.getLocalPort();
    }
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int taken = busy.getLocalPort();
      List<ForwardSpec> specs =
          List.of(new ForwardSpec("echo.shop", 7, free), new ForwardSpec("orders.shop", 8080, taken));

      DevproxyException e = catchThrowableOfType(DevproxyException.class,
          () -> LocalForwards.open(specs, fixture.dialer(), fixture.group));

      assertThat(e.category()).isEqualTo(ErrorCategory.USER);
      assertThat(e).hasMessage("--forward orders.shop:8080:" + taken + ": local port " + taken
          + " is in use; pick another LOCAL_PORT");
      ProxyFixture.assertNothingListensOn(free);
    }
  }

  @Test
  void closeEndsLiveConnections() throws Exception {
    LoopbackDialer dialer = fixture.dialer();
    LocalForwards forwards = LocalForwards.open(List.of(ForwardSpec.parse("echo.shop:7:0")), dialer, fixture.group);
    try (RawClient client = new RawClient(local(forwards.infos().get(0)))) {
      assertThat(client.write("ping\n").readString(5)).isEqualTo("ping\n");

      forwards.close();

      assertThat(client.closedByPeer()).isTrue();
      ProxyFixture.assertNothingListensOn(forwards.infos().get(0).getLocalPort());
    } finally {
      forwards.close();
    }
  }

  private static InetSocketAddress local(ForwardInfo info) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), info.getLocalPort());
  }
}

package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OutboundProxySocksTest extends RunningProxyTest {

  @Test
  void curlSocks5hReachesTheNamedServiceWithTheNameUnresolved() throws Exception {
    Curl.Result result = Curl.run("--proxy", "socks5h://" + address(), "http://orders.shop:8080/x?y=1");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.body()).startsWith("GET /x?y=1 host=orders.shop:8080 ");
    assertThat(dialer.dials()).containsExactly("orders.shop:8080");
  }

  @Test
  void javaSocksSocketReachesAnUnresolvedName() throws Exception {
    try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address()))) {
      socket.setSoTimeout((int) RawClient.TIMEOUT.toMillis());
      socket.connect(InetSocketAddress.createUnresolved("echo.shop", 7), (int) RawClient.TIMEOUT.toMillis());
      socket.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));

      assertThat(new String(new DataInputStream(socket.getInputStream()).readNBytes(5), StandardCharsets.UTF_8))
          .isEqualTo("ping\n");
    }
    assertThat(dialer.dials()).containsExactly("echo.shop:7");
  }

  @Test
  void ipAddressesArePassedOnAsText() throws Exception {
    dialer.map("127.0.0.1", fixture.echo.address()).map("::1", fixture.echo.address());

    for (byte[] address : new byte[][] {{127, 0, 0, 1}, InetAddress.getByName("::1").getAddress()}) {
      try (RawClient client = new RawClient(proxy.address())) {
        client.write(RawClient.socksGreeting()).write(RawClient.socksConnect(address, 7));
        assertThat(client.socksReply()).isZero();
        assertThat(client.write("hi\n").readString(3)).isEqualTo("hi\n");
      }
    }
    assertThat(dialer.dials()).containsExactly("127.0.0.1:7", "::1:7");
  }

  @Test
  void eightMebibytesEchoIntactBothWays() throws Exception {
    byte[] payload = new byte[8 * 1024 * 1024];
    new Random(42).nextBytes(payload);
    try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address()))) {
      socket.setSoTimeout((int) RawClient.TIMEOUT.toMillis());
      socket.connect(InetSocketAddress.createUnresolved("echo.shop", 7));
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          out.write(payload);
          out.flush();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      byte[] echoed = new DataInputStream(socket.getInputStream()).readNBytes(payload.length);
      written.get(RawClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS);

      assertThat(echoed).isEqualTo(payload);
    }
  }

  @Test
  void unknownNameRepliesHostUnreachableAndCurlFailsFast() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, "nosuch.default", 80));

      assertThat(client.socksReply()).isEqualTo(4);
      assertThat(client.closedByPeer()).isTrue();
    }
    Curl.Result curl = Curl.run("--proxy", "socks5h://" + address(), "http://nosuch.default/");

    assertThat(curl.exitCode()).isNotZero();
    assertThat(curl.stderr()).contains("nosuch.default");
    assertThat(curl.took()).isLessThan(RawClient.TIMEOUT);
  }

  @Test
  void dialFailuresMapToReplyCodes() throws Exception {
    Map<DialException.Kind, Integer> codes = Map.of(
        DialException.Kind.REFUSED, 5,
        DialException.Kind.TIMEOUT, 6,
        DialException.Kind.NO_AGENT, 3,
        DialException.Kind.INVALID, 1,
        DialException.Kind.OTHER, 1);
    for (Map.Entry<DialException.Kind, Integer> code : codes.entrySet()) {
      String host = code.getKey().name().toLowerCase(Locale.ROOT) + ".shop";
      dialer.fail(host, new DialException(code.getKey(), "cannot dial " + host));
      try (RawClient client = new RawClient(proxy.address())) {
        client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, host, 80));

        assertThat(client.socksReply()).as(code.getKey().name()).isEqualTo(code.getValue());
      }
    }
  }

  @Test
  void bindAndUdpAssociateAreUnsupported() throws Exception {
    for (int command : new int[] {2, 3}) {
      try (RawClient client = new RawClient(proxy.address())) {
        client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(command, "echo.shop", 7));

        assertThat(client.socksReply()).isEqualTo(7);
        assertThat(client.closedByPeer()).isTrue();
      }
    }
    assertThat(dialer.dials()).isEmpty();
  }

  @Test
  void aClientThatWantsToAuthenticateIsTurnedAway() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(new byte[] {5, 1, 2});

      assertThat(client.read(2)).containsExactly(5, 0xff);
      assertThat(client.closedByPeer()).isTrue();
    }
  }

  @Test
  void socks4IsClosed() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(new byte[] {4, 1, 0, 7, 127, 0, 0, 1, 0});

      assertThat(client.closedByPeer()).isTrue();
    }
    assertThat(dialer.dials()).isEmpty();
  }

  @Test
  void bytesPipelinedBehindTheRequestReachTheServer() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      byte[] greeting = RawClient.socksGreeting();
      byte[] request = RawClient.socksRequest(1, "echo.shop", 7);
      byte[] data = "early\n".getBytes(StandardCharsets.US_ASCII);
      byte[] all = new byte[greeting.length + request.length + data.length];
      System.arraycopy(greeting, 0, all, 0, greeting.length);
      System.arraycopy(request, 0, all, greeting.length, request.length);
      System.arraycopy(data, 0, all, greeting.length + request.length, data.length);
      client.write(all);

      assertThat(client.socksReply()).isZero();
      assertThat(client.readString(6)).isEqualTo("early\n");
    }
  }

  @Test
  void bytesSentWhileTheDialRunsReachTheServer() throws Exception {
    CompletableFuture<Void> gate = dialer.hold("echo.shop");
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, "echo.shop", 7));
      await().atMost(ProxyFixture.TIMEOUT).until(() -> !dialer.dials().isEmpty());
      client.write("while dialing\n");
      gate.complete(null);

      assertThat(client.socksReply()).isZero();
      assertThat(client.readString(14)).isEqualTo("while dialing\n");
      assertThat(client.write("after\n").readString(6)).isEqualTo("after\n");
    }
  }

  @Test
  void halfCloseReachesTheServerAndTheRestOfTheReplyComesBack() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write(RawClient.socksGreeting()).write(RawClient.socksRequest(1, "echo.shop", 7));
      assertThat(client.socksReply()).isZero();
      client.write("last words\n");
      client.socket().shutdownOutput();

      assertThat(client.readToEnd()).isEqualTo("last words\n");
    }
  }
}

package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class OutboundProxyHttpTest extends RunningProxyTest {

  @TempDir Path dir;

  @Test
  void curlTunnelsThroughConnect() throws Exception {
    Curl.Result result = Curl.run("-p", "-x", "http://" + address(), "http://orders.shop:8080/x");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.body()).startsWith("GET /x host=orders.shop:8080 ");
    assertThat(dialer.dials()).containsExactly("orders.shop:8080");
  }

  @Test
  void absoluteFormRequestGoesOnInOriginFormWithoutProxyHeaders() throws Exception {
    Curl.Result result = Curl.run("-x", "http://user:secret@" + address(), "http://orders.shop:8080/x?y=1");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.body()).isEqualTo("GET /x?y=1 host=orders.shop:8080 connection=close proxy-connection=null"
        + " proxy-authorization=null body=\n");
    assertThat(dialer.dials()).containsExactly("orders.shop:8080");
  }

  @Test
  void absoluteFormWithoutPortDialsPort80() throws Exception {
    Curl.Result result = Curl.run("-x", "http://" + address(), "http://orders.shop/x");

    assertThat(result.body()).startsWith("GET /x host=orders.shop ");
    assertThat(dialer.dials()).containsExactly("orders.shop:80");
  }

  @Test
  void postBodyArrives() throws Exception {
    Curl.Result result = Curl.run("-x", "http://" + address(), "--data-binary", "name=orders&qty=2",
        "http://orders.shop:8080/post");

    assertThat(result.body()).startsWith("POST /post ").endsWith(" body=name=orders&qty=2\n");
  }

  @Test
  void chunkedUploadOfEightMebibytesEchoesIntact() throws Exception {
    byte[] payload = new byte[8 * 1024 * 1024];
    new Random(7).nextBytes(payload);
    Path file = Files.write(dir.resolve("payload"), payload);

    Curl.Result result = Curl.run("-x", "http://" + address(), "-H", "Transfer-Encoding: chunked",
        "--data-binary", "@" + file, "http://orders.shop:8080/echo");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout()).isEqualTo(payload);
  }

  @Test
  void connectToAnUnknownNameGets502NamingTheError() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write("CONNECT nosuch.default:80 HTTP/1.1\r\nHost: nosuch.default:80\r\n\r\n");

      assertThat(client.readToEnd()).isEqualTo("""
          HTTP/1.1 502 Bad Gateway\r
          Content-Type: text/plain; charset=utf-8\r
          Content-Length: 54\r
          Connection: close\r
          \r
          devproxy: cannot resolve nosuch.default: no such host
          """);
    }
    Curl.Result curl = Curl.run("-p", "-x", "http://" + address(), "http://nosuch.default/");

    assertThat(curl.exitCode()).isNotZero();
    assertThat(curl.stderr()).contains("502");
    assertThat(curl.took()).isLessThan(RawClient.TIMEOUT);
  }

  @Test
  void absoluteFormToAnUnknownNameGets502WithTheReasonAsBody() throws Exception {
    Curl.Result result = Curl.run("-x", "http://" + address(), "-w", "%{http_code}", "http://nosuch.default/");

    assertThat(result.body()).isEqualTo("devproxy: cannot resolve nosuch.default: no such host\n502");
  }

  @Test
  void dialFailuresMapToStatuses() throws Exception {
    Map<DialException.Kind, String> statuses = Map.of(
        DialException.Kind.REFUSED, "502 Bad Gateway",
        DialException.Kind.OTHER, "502 Bad Gateway",
        DialException.Kind.TIMEOUT, "504 Gateway Timeout",
        DialException.Kind.NO_AGENT, "503 Service Unavailable",
        DialException.Kind.INVALID, "400 Bad Request");
    for (Map.Entry<DialException.Kind, String> status : statuses.entrySet()) {
      String host = status.getKey().name().toLowerCase(Locale.ROOT) + ".shop";
      dialer.fail(host, new DialException(status.getKey(), "cannot dial " + host));
      try (RawClient client = new RawClient(proxy.address())) {
        client.write("CONNECT " + host + ":443 HTTP/1.1\r\n\r\n");

        assertThat(client.readToEnd()).startsWith("HTTP/1.1 " + status.getValue() + "\r\n")
            .endsWith("\r\n\r\ndevproxy: cannot dial " + host + "\n");
      }
    }
  }

  @Test
  void bytesPipelinedBehindConnectReachTheServer() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write("CONNECT echo.shop:7 HTTP/1.1\r\nHost: echo.shop:7\r\n\r\nclient hello\n");

      assertThat(client.readString(52)).isEqualTo("HTTP/1.1 200 Connection established\r\n\r\nclient hello\n");
    }
  }

  @Test
  void bytesSentWhileTheDialRunsReachTheServer() throws Exception {
    CompletableFuture<Void> gate = dialer.hold("echo.shop");
    try (RawClient client = new RawClient(proxy.address())) {
      client.write("CONNECT echo.shop:7 HTTP/1.1\r\n\r\n");
      await().atMost(ProxyFixture.TIMEOUT).until(() -> !dialer.dials().isEmpty());
      client.write("while dialing\n");
      gate.complete(null);

      assertThat(client.readString(53)).isEqualTo("HTTP/1.1 200 Connection established\r\n\r\nwhile dialing\n");
    }
  }

  @Test
  void originFormRequestIsToldToUseTheProxyAsAProxy() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

      assertThat(client.readToEnd()).startsWith("HTTP/1.1 400 Bad Request\r\n")
          .endsWith("\r\n\r\nthis is devproxy's outbound proxy; send requests through it as a proxy, e.g. curl -x"
              + " http://" + address() + " http://orders:8080/\n");
    }
    assertThat(dialer.dials()).isEmpty();
  }

  @Test
  void connectWithoutPortIs400() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write("CONNECT orders.shop HTTP/1.1\r\n\r\n");

      assertThat(client.readToEnd()).startsWith("HTTP/1.1 400 Bad Request\r\n")
          .endsWith("devproxy: CONNECT orders.shop has no port (expected: HOST:PORT, e.g. orders.shop:443)\n");
    }
  }

  @Test
  void headLargerThan64KibIs431() throws Exception {
    try (RawClient client = new RawClient(proxy.address())) {
      client.write("GET http://orders.shop/ HTTP/1.1\r\nX-Big: " + "a".repeat(70 * 1024) + "\r\n\r\n");

      assertThat(client.readToEnd()).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n")
          .endsWith("devproxy: the request head is larger than 64 KiB\n");
    }
    assertThat(dialer.dials()).isEmpty();
  }
}

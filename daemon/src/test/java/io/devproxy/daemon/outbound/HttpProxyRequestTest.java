package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpProxyRequestTest {

  private static HttpProxyRequest parse(String head) {
    return HttpProxyRequest.parse(head, "127.0.0.1:1080");
  }

  @Test
  void connectNamesHostAndPort() {
    HttpProxyRequest request = parse("CONNECT orders.shop:443 HTTP/1.1\r\nHost: orders.shop:443\r\n\r\n");

    assertThat(request.isConnect()).isTrue();
    assertThat(request.host()).isEqualTo("orders.shop");
    assertThat(request.port()).isEqualTo(443);
  }

  @Test
  void ipv6LiteralsLoseTheirBrackets() {
    assertThat(parse("CONNECT [fd00::1]:8443 HTTP/1.1\r\n\r\n").host()).isEqualTo("fd00::1");
    assertThat(parse("GET http://[::1]/x HTTP/1.1\r\n\r\n").host()).isEqualTo("::1");
  }

  @Test
  void absoluteFormIsRewrittenToOriginFormWithoutHopByHopHeaders() {
    HttpProxyRequest request = parse("""
        POST http://user@orders.shop:8080/orders?id=1#top HTTP/1.1\r
        Host: wrong.example\r
        Proxy-Connection: keep-alive\r
        Proxy-Authorization: Basic dXNlcjpwdw==\r
        Connection: keep-alive, X-Hop\r
        X-Hop: 1\r
        Keep-Alive: timeout=5\r
        Content-Type: application/json\r
        Transfer-Encoding: chunked\r
        \r
        """);

    assertThat(request.isConnect()).isFalse();
    assertThat(request.host()).isEqualTo("orders.shop");
    assertThat(request.port()).isEqualTo(8080);
    assertThat(new String(request.originFormHead(), StandardCharsets.ISO_8859_1)).isEqualTo("""
        POST /orders?id=1 HTTP/1.1\r
        Host: orders.shop:8080\r
        Content-Type: application/json\r
        Transfer-Encoding: chunked\r
        Connection: close\r
        \r
        """);
  }

  @Test
  void anUpgradeKeepsItsConnectionHeader() {
    HttpProxyRequest request = parse("GET http://chat.shop/ws HTTP/1.1\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");

    assertThat(new String(request.originFormHead(), StandardCharsets.ISO_8859_1)).isEqualTo("GET /ws HTTP/1.1\r\n"
        + "Host: chat.shop\r\nSec-WebSocket-Version: 13\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
    assertThat(request.port()).isEqualTo(80);
  }

  @Test
  void aBareAuthorityGetsTheRootPath() {
    assertThat(new String(parse("GET http://orders.shop?q=1 HTTP/1.0\n\n").originFormHead(),
        StandardCharsets.ISO_8859_1)).startsWith("GET /?q=1 HTTP/1.0\r\nHost: orders.shop\r\n");
  }

  @Test
  void badRequestsSayWhatIsWrong() {
    assertThatThrownBy(() -> parse("GET /orders HTTP/1.1\r\n\r\n"))
        .hasMessage("this is devproxy's outbound proxy; send requests through it as a proxy,"
            + " e.g. curl -x http://127.0.0.1:1080 http://orders:8080/");
    assertThatThrownBy(() -> parse("CONNECT orders.shop HTTP/1.1\r\n\r\n"))
        .hasMessage("devproxy: CONNECT orders.shop has no port (expected: HOST:PORT, e.g. orders.shop:443)");
    assertThatThrownBy(() -> parse("CONNECT orders.shop:0 HTTP/1.1\r\n\r\n"))
        .hasMessageStartingWith("devproxy: bad port in 'orders.shop:0'");
    assertThatThrownBy(() -> parse("CONNECT fd00::1:443 HTTP/1.1\r\n\r\n"))
        .hasMessageContaining("an IPv6 address goes in brackets");
    assertThatThrownBy(() -> parse("GET https://orders.shop/ HTTP/1.1\r\n\r\n"))
        .hasMessageContaining("only http:// URLs are proxied as requests");
    assertThatThrownBy(() -> parse("HELLO\r\n\r\n"))
        .hasMessage("devproxy: malformed request line 'HELLO' (expected: METHOD TARGET HTTP/1.1)");
    assertThatThrownBy(() -> parse("GET http://orders.shop/ HTTP/1.1\r\n folded: header\r\n\r\n"))
        .hasMessage("devproxy: malformed header line ' folded: header'");
  }
}

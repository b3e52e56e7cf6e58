package io.devproxy.e2e;

import static io.devproxy.e2e.RawH2.DATA;
import static io.devproxy.e2e.RawH2.PREFACE;
import static io.devproxy.e2e.RawH2.PROTOCOL_ERROR;
import static io.devproxy.e2e.RawH2.closedByServer;
import static io.devproxy.e2e.RawH2.frame;
import static io.devproxy.e2e.RawH2.readUntilGoAway;
import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed and oversized input on the agent's service port, over real sockets: the offending request (or
 * HTTP/2 stream, or connection) gets a clear refusal, and the agent keeps serving everyone else — a
 * keep-alive HTTP/1.1 connection and an h2c connection opened before stay usable, and new connections work.
 */
class BadInputTest {

  static final int KIB = 1024;

  @TempDir
  static Path root;

  static RestServer app;
  static Loopback loopback;
  static RawHttp keepAlive;
  static H2cClient h2KeepAlive;
  static final LogCapture log = new LogCapture();

  @BeforeAll
  static void start() throws Exception {
    log.start();
    app = new RestServer("app");
    app.start();
    loopback = new Loopback(root);
    loopback.startAgent(app.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));
    keepAlive = RawHttp.connect(loopback.agent.listenAddress());
    assertThat(keepAlive.exchange(RawHttp.get("/who")).body()).isEqualTo("app\n");
    h2KeepAlive = new H2cClient(loopback.agent.listenAddress());
    assertThat(h2KeepAlive.send("/who").body()).isEqualTo("app\n");
  }

  @AfterAll
  static void stop() throws IOException {
    if (h2KeepAlive != null) {
      h2KeepAlive.close();
    }
    if (keepAlive != null) {
      keepAlive.close();
    }
    if (loopback != null) {
      loopback.close();
    }
    if (app != null) {
      app.close();
    }
    log.close();
  }

  /** After each bad input: the connections opened before still work, and so does a new one. */
  @AfterEach
  void agentKeepsServingEveryoneElse() throws Exception {
    assertThat(log.stackTracesAtWarning())
        .as("a caller's bad input is its problem: no stack trace at WARNING in the agent's log").isEmpty();

    RawHttp.Response again = keepAlive.exchange(RawHttp.get("/who"));
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.body()).isEqualTo("app\n");

    H2cClient.Response h2 = h2KeepAlive.send("/who");
    assertThat(h2.status()).isEqualTo(200);
    assertThat(h2.body()).isEqualTo("app\n");

    try (RawHttp fresh = RawHttp.connect(loopback.agent.listenAddress())) {
      RawHttp.Response response = fresh.exchange(RawHttp.get("/who"));
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("app\n");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "this is not http\r\n\r\n",
      "GET / HTTP/9\r\nHost: agent\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: agent\r\nno colon here\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: agent\r\nContent-Length: twelve\r\n\r\n",
  })
  void malformedRequestGets400AndThatConnectionCloses(String request) throws Exception {
    try (RawHttp connection = RawHttp.connect(loopback.agent.listenAddress())) {
      RawHttp.Response response = connection.exchange(request);

      assertThat(response.status()).isEqualTo(400);
      assertThat(response.header("connection")).isEqualToIgnoringCase("close");
      assertThat(response.body()).startsWith("devproxy: bad request");
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void requestLineOver8KiBGets414() throws Exception {
    try (RawHttp connection = RawHttp.connect(loopback.agent.listenAddress())) {
      RawHttp.Response response = connection.exchange(RawHttp.get("/who?q=" + "a".repeat(9 * KIB)));

      assertThat(response.status()).isEqualTo(414);
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void http1HeaderOver64KiBGets431AndThatConnectionCloses() throws Exception {
    try (RawHttp connection = RawHttp.connect(loopback.agent.listenAddress())) {
      RawHttp.Response response = connection.exchange(
          "GET /who HTTP/1.1\r\nHost: agent\r\nx-big: " + "a".repeat(70 * KIB) + "\r\n\r\n");

      assertThat(response.status()).isEqualTo(431);
      assertThat(response.body()).startsWith("devproxy: request header fields too large");
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void http1ManySmallHeadersOver64KiBGet431() throws Exception {
    StringBuilder request = new StringBuilder("GET /who HTTP/1.1\r\nHost: agent\r\n");
    for (int i = 0; i < 2_000; i++) {
      request.append("x-h").append(i).append(": ").append("v".repeat(30)).append("\r\n");
    }
    try (RawHttp connection = RawHttp.connect(loopback.agent.listenAddress())) {
      RawHttp.Response response = connection.exchange(request.append("\r\n").toString());

      assertThat(response.status()).isEqualTo(431);
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  @Test
  void http2HeaderBlockOverTheLimitRefusesThatStreamAndOtherStreamsCarryOn() throws Exception {
    try (H2cClient h2 = new H2cClient(loopback.agent.listenAddress())) {
      assertThat(h2.send("/who").status()).isEqualTo(200);

      H2cClient.Response refused = h2.send("/who", "x-big", "a".repeat(70 * KIB));

      assertThat(refused.status() == 431 || refused.resetCode() != null)
          .as("431 or a reset stream, got %s", refused).isTrue();
      assertThat(refused.body()).doesNotContain("app");
      H2cClient.Response next = h2.send("/who");
      assertThat(next.status()).isEqualTo(200);
      assertThat(next.body()).isEqualTo("app\n");
      assertThat(h2.isOpen()).isTrue();
    }
  }

  /**
   * Past 1.25 times the limit Netty stops decoding and treats the block as a connection error (RFC 9113
   * section 10.5.1 allows either): that connection gets a GOAWAY, the others are not affected.
   */
  @Test
  void http2HeaderBlockFarOverTheLimitNeverReachesTheApp() throws Exception {
    try (H2cClient h2 = new H2cClient(loopback.agent.listenAddress())) {
      assertThat(h2.send("/who").status()).isEqualTo(200);

      CompletableFuture<H2cClient.Response> refused = h2.get("/who", "x-big", "a".repeat(200 * KIB));

      H2cClient.Response response = refused.handle((r, t) -> r).get(10, TimeUnit.SECONDS);
      if (response != null) {
        assertThat(response.status() == 431 || response.resetCode() != null)
            .as("431 or a reset stream, got %s", response).isTrue();
      } else {
        assertThat(h2.goAway().get(10, TimeUnit.SECONDS)).isEqualTo(PROTOCOL_ERROR);
      }
    }
  }

  @Test
  void http2DataFrameOnStreamZeroGetsGoAwayForThatConnectionOnly() throws Exception {
    try (Socket socket = RawH2.connect(loopback.agent.listenAddress())) {
      OutputStream out = socket.getOutputStream();
      out.write(frame(DATA, 0, 0, "oops".getBytes(StandardCharsets.US_ASCII)));
      out.flush();

      assertThat(readUntilGoAway(socket)).isEqualTo(PROTOCOL_ERROR);
      assertThat(closedByServer(socket)).isTrue();
    }
  }

  @Test
  void http2GarbageAfterThePrefaceGetsGoAway() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), loopback.agent.listenAddress().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(PREFACE);
      out.write("this is not an HTTP/2 frame at all\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();

      assertThat(readUntilGoAway(socket)).isEqualTo(PROTOCOL_ERROR);
      assertThat(closedByServer(socket)).isTrue();
    }
  }
}

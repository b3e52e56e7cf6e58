package io.devproxy.e2e;

import static io.devproxy.e2e.RawH2.ENHANCE_YOUR_CALM;
import static io.devproxy.e2e.RawH2.HEADERS;
import static io.devproxy.e2e.RawH2.NO_ERROR;
import static io.devproxy.e2e.RawH2.PING;
import static io.devproxy.e2e.RawH2.PREFACE;
import static io.devproxy.e2e.RawH2.RST_STREAM;
import static io.devproxy.e2e.RawH2.SETTINGS;
import static io.devproxy.e2e.RawH2.closedByServer;
import static io.devproxy.e2e.RawH2.frame;
import static io.devproxy.e2e.RawH2.readUntilGoAway;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import com.sun.management.UnixOperatingSystemMXBean;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.devproxy.agent.front.CallerTimeouts;
import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.UserPki;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile peers on the agent's service port (issue 8), over real sockets: each is bounded — its connection is
 * closed or a limit holds — and a well-behaved HTTP/1.1 and h2c client is served while it runs and after.
 *
 * <p>The agent runs with short {@link CallerTimeouts} (request head {@value #HEAD_MILLIS} ms, idle
 * {@value #IDLE_MILLIS} ms) so the class takes seconds. The app is the JDK's HTTP server, which counts the
 * requests that reach it and has slow endpoints for exchanges that outlast both timeouts.
 *
 * <p>Many idle connections: {@value #IDLE_CONNECTIONS} by default; {@code -Ddevproxy.hostile.connections=10000}
 * for the long mode (skipped when {@code ulimit -n} is too low: each connection takes two descriptors here, the
 * client's and the agent's).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostilePeersTest {

  static final long HEAD_MILLIS = 1_000;
  static final long IDLE_MILLIS = 2_000;
  static final int IDLE_CONNECTIONS = 2_000;
  /** An exchange in progress must outlive both timeouts. */
  static final long SLOW_MILLIS = 3_500;

  @TempDir
  static Path root;

  static HttpServer app;
  static ExecutorService appThreads;
  static final AtomicInteger appRequests = new AtomicInteger();
  static Loopback loopback;
  static final LogCapture log = new LogCapture();

  @BeforeAll
  static void start() throws Exception {
    log.start();
    appThreads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-app");
      t.setDaemon(true);
      return t;
    });
    app = HttpServer.create(Loopback.loopback(0), 0);
    app.setExecutor(appThreads);
    app.createContext("/", HostilePeersTest::serve);
    app.start();
    loopback = new Loopback(root);
    loopback.startAgent(app.getAddress(), UpstreamProtocol.HTTP1, Duration.ofSeconds(2),
        new CallerTimeouts(Duration.ofMillis(HEAD_MILLIS), Duration.ofMillis(IDLE_MILLIS)));
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
    if (app != null) {
      app.stop(0);
    }
    if (appThreads != null) {
      appThreads.shutdownNow();
    }
    log.close();
  }

  /** /who, /slow?ms=N (answers after N ms), /drip?n=N&ms=M (N lines, one every M ms), POST /upload. */
  private static void serve(HttpExchange exchange) throws IOException {
    appRequests.incrementAndGet();
    try (exchange) {
      URI uri = exchange.getRequestURI();
      String query = uri.getQuery() == null ? "" : uri.getQuery();
      switch (uri.getPath()) {
        case "/who" -> respond(exchange, "app\n");
        case "/slow" -> {
          sleep(param(query, "ms"));
          respond(exchange, "slow\n");
        }
        case "/drip" -> {
          exchange.sendResponseHeaders(200, 0);
          OutputStream body = exchange.getResponseBody();
          for (int i = 0; i < param(query, "n"); i++) {
            sleep(param(query, "ms"));
            body.write(("tick " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            body.flush();
          }
        }
        case "/upload" -> respond(exchange, "got " + exchange.getRequestBody().readAllBytes().length + "\n");
        default -> exchange.sendResponseHeaders(404, -1);
      }
    }
  }

  private static void respond(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static long param(String query, String name) {
    for (String pair : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        return Long.parseLong(pair.substring(name.length() + 1));
      }
    }
    throw new IllegalArgumentException("no " + name + " in " + query);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A new HTTP/1.1 connection and a new h2c connection are each served promptly. */
  static void everyoneElseIsServed(InetSocketAddress agent) throws Exception {
    long start = System.nanoTime();
    try (RawHttp http1 = RawHttp.connect(agent)) {
      RawHttp.Response response = http1.exchange(RawHttp.get("/who"));
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("app\n");
    }
    try (H2cClient h2 = new H2cClient(agent)) {
      H2cClient.Response response = h2.send("/who");
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("app\n");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("served promptly").isLessThan(Duration.ofSeconds(3));
  }

  static void everyoneElseIsServed() throws Exception {
    everyoneElseIsServed(loopback.agent.listenAddress());
    assertThat(log.stackTracesAtWarning())
        .as("a hostile caller is expected noise: no stack trace at WARNING in the agent's log").isEmpty();
  }

  @Test
  void slowlorisRequestHeadGets408AfterTheRequestHeadTimeout() throws Exception {
    byte[] head = "GET /who HTTP/1.1\r\nHost: agent\r\nx-slow: ".concat("a".repeat(100))
        .getBytes(StandardCharsets.US_ASCII);
    try (RawHttp slowloris = RawHttp.connect(loopback.agent.listenAddress())) {
      long start = System.nanoTime();
      CompletableFuture<Void> dripping = CompletableFuture.runAsync(() -> {
        try {
          for (byte b : head) {
            slowloris.write(new byte[] {b});
            Thread.sleep(200);
          }
        } catch (IOException | InterruptedException closed) {
          // the agent gave up on it: expected
        }
      });

      everyoneElseIsServed();
      RawHttp.Response response = slowloris.readResponse();

      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      assertThat(response.status()).isEqualTo(408);
      assertThat(response.header("connection")).isEqualToIgnoringCase("close");
      assertThat(response.body()).startsWith("devproxy: request timeout");
      assertThat(slowloris.closedByServer()).isTrue();
      assertThat(elapsed).isBetween(Duration.ofMillis(HEAD_MILLIS - 100), Duration.ofMillis(HEAD_MILLIS + 2_000));
      dripping.get(10, TimeUnit.SECONDS);
    }
    assertThat(appRequests.get()).isPositive();
    everyoneElseIsServed();
  }

  @Test
  void idleKeepAliveConnectionIsClosedAfterTheIdleTimeoutNotTheHeadTimeout() throws Exception {
    try (RawHttp keepAlive = RawHttp.connect(loopback.agent.listenAddress())) {
      assertThat(keepAlive.exchange(RawHttp.get("/who")).status()).isEqualTo(200);
      Thread.sleep(HEAD_MILLIS + 300); // longer than a head may take, shorter than idle: still open
      assertThat(keepAlive.exchange(RawHttp.get("/who")).body()).isEqualTo("app\n");
      long idleSince = System.nanoTime();

      assertThat(keepAlive.closedByServer()).isTrue();

      assertThat(Duration.ofNanos(System.nanoTime() - idleSince))
          .isBetween(Duration.ofMillis(IDLE_MILLIS - 100), Duration.ofMillis(IDLE_MILLIS + 2_000));
    }
    everyoneElseIsServed();
  }

  /** PINGs do not keep a connection without streams open (Envoy's idle_timeout counts streams, not frames). */
  @Test
  void http2ConnectionWithoutStreamsGetsGoAwayAfterTheIdleTimeoutEvenWhileItPings() throws Exception {
    try (Socket socket = RawH2.connect(loopback.agent.listenAddress())) {
      long start = System.nanoTime();
      CompletableFuture<Void> pinging = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          for (int i = 0; i < 100; i++) {
            out.write(frame(PING, 0, 0, new byte[8]));
            out.flush();
            Thread.sleep(200);
          }
        } catch (IOException | InterruptedException closed) {
          // closed by the agent: expected
        }
      });

      assertThat(readUntilGoAway(socket)).isEqualTo(NO_ERROR);

      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(IDLE_MILLIS - 100), Duration.ofMillis(IDLE_MILLIS + 2_000));
      assertThat(closedByServer(socket)).isTrue();
      pinging.get(10, TimeUnit.SECONDS);
    }
    try (H2cClient h2 = new H2cClient(loopback.agent.listenAddress())) {
      assertThat(h2.send("/who").status()).isEqualTo(200);
      assertThat(h2.goAway().get(IDLE_MILLIS + 3_000, TimeUnit.MILLISECONDS)).isEqualTo(NO_ERROR);
    }
    everyoneElseIsServed();
  }

  /**
   * Neither timeout cuts an exchange in progress: a response the app is slow to start, a long download, a slow
   * but progressing upload (HTTP/1.1), and a slow response on an h2c stream, each longer than both timeouts.
   */
  @Test
  void exchangesInProgressOutliveTheTimeouts() throws Exception {
    InetSocketAddress agent = loopback.agent.listenAddress();
    try (RawHttp waiting = RawHttp.connect(agent); RawHttp download = RawHttp.connect(agent);
        RawHttp upload = RawHttp.connect(agent); H2cClient h2 = new H2cClient(agent)) {
      long start = System.nanoTime();
      CompletableFuture<RawHttp.Response> slowApp = CompletableFuture.supplyAsync(
          () -> exchange(waiting, RawHttp.get("/slow?ms=" + SLOW_MILLIS)));
      CompletableFuture<RawHttp.Response> longDownload = CompletableFuture.supplyAsync(
          () -> exchange(download, RawHttp.get("/drip?n=7&ms=" + SLOW_MILLIS / 7)));
      CompletableFuture<RawHttp.Response> slowUpload = CompletableFuture.supplyAsync(() -> {
        try {
          upload.write("POST /upload HTTP/1.1\r\nHost: agent\r\nContent-Length: 10\r\n\r\n");
          for (int i = 0; i < 10; i++) {
            Thread.sleep(SLOW_MILLIS / 10);
            upload.write(new byte[] {'x'});
          }
          return upload.readResponse();
        } catch (IOException | InterruptedException e) {
          throw new AssertionError("slow upload cut", e);
        }
      });
      CompletableFuture<H2cClient.Response> slowStream = h2.get("/slow?ms=" + SLOW_MILLIS);

      assertThat(slowApp.get(15, TimeUnit.SECONDS).body()).isEqualTo("slow\n");
      assertThat(longDownload.get(15, TimeUnit.SECONDS).body()).hasLineCount(7).endsWith("tick 6\n");
      assertThat(slowUpload.get(15, TimeUnit.SECONDS).body()).isEqualTo("got 10\n");
      H2cClient.Response h2Response = slowStream.get(15, TimeUnit.SECONDS);
      assertThat(h2Response.status()).isEqualTo(200);
      assertThat(h2Response.body()).isEqualTo("slow\n");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(SLOW_MILLIS));
      // The connections carry on after their long exchanges.
      assertThat(waiting.exchange(RawHttp.get("/who")).body()).isEqualTo("app\n");
      assertThat(h2.send("/who").body()).isEqualTo("app\n");
    }
    everyoneElseIsServed();
  }

  private static RawHttp.Response exchange(RawHttp connection, String request) {
    try {
      return connection.exchange(request);
    } catch (IOException e) {
      throw new AssertionError("exchange cut", e);
    }
  }

  /** CVE-2023-44487: streams opened and reset at once, in a flood. */
  @Test
  void rapidResetFloodGetsGoAwayEnhanceYourCalm() throws Exception {
    int before = appRequests.get();
    ByteArrayOutputStream flood = new ByteArrayOutputStream();
    for (int i = 0; i < 1_000; i++) {
      int stream = 2 * i + 1;
      flood.write(frame(HEADERS, 0x5 /* END_STREAM | END_HEADERS */, stream, getWho()));
      flood.write(frame(RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(0x8 /* CANCEL */).array()));
    }
    try (Socket socket = RawH2.connect(loopback.agent.listenAddress())) {
      try {
        socket.getOutputStream().write(flood.toByteArray());
      } catch (SocketException closedEarly) {
        // the agent may close before it has read the whole flood
      }

      assertThat(readUntilGoAway(socket)).isEqualTo(ENHANCE_YOUR_CALM);
      assertThat(closedByServer(socket)).isTrue();
    }
    everyoneElseIsServed();
    assertThat(appRequests.get() - before)
        .as("requests that reached the app: at most the streams before the limit, and the checks'")
        .isLessThanOrEqualTo(200 + 2);
  }

  /** GET /who as an HPACK block of static-table references and literals without indexing. */
  private static byte[] getWho() {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    block.write(0x82); // :method GET
    block.write(0x86); // :scheme http
    block.writeBytes(new byte[] {0x04, 4, '/', 'w', 'h', 'o'}); // :path
    block.writeBytes(new byte[] {0x01, 5, 'a', 'g', 'e', 'n', 't'}); // :authority
    return block.toByteArray();
  }

  /**
   * A caller that sends SETTINGS or PINGs without reading the acknowledgements: Netty queues at most 10,000
   * control frames for it, then the connection is closed (GOAWAY ENHANCE_YOUR_CALM, which it does not read).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"PING", "SETTINGS"})
  void controlFrameFloodWithoutReadingClosesThatConnection(String type) throws Exception {
    byte[] one = type.equals("PING") ? frame(PING, 0, 0, new byte[8]) : frame(SETTINGS, 0, 0, new byte[0]);
    byte[] batch = new byte[one.length * 1_000];
    for (int i = 0; i < 1_000; i++) {
      System.arraycopy(one, 0, batch, i * one.length, one.length);
    }
    long sent = 0;
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096); // the agent's acknowledgements back up quickly
      socket.connect(loopback.agent.listenAddress(), 5_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(PREFACE);
      out.write(frame(SETTINGS, 0, 0, new byte[0]));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      assertThatThrownBy(() -> {
        while (System.nanoTime() < deadline) {
          out.write(batch);
        }
      }).as("the agent closes the flooding connection").isInstanceOf(IOException.class);
    }
    everyoneElseIsServed();
  }

  @Test
  void manyIdleConnectionsDoNotDelayOthersAndAreClosedByTheRequestHeadTimeout(@TempDir Path many) throws Exception {
    int connections = Integer.getInteger("devproxy.hostile.connections", IDLE_CONNECTIONS);
    long maxFds = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getMaxFileDescriptorCount();
    assumeTrue(maxFds >= 2L * connections + 1_024,
        () -> "ulimit -n is " + maxFds + ": too low for " + connections + " idle connections");
    // An agent of its own, whose head timeout leaves the time to open them all first.
    Duration head = Duration.ofSeconds(connections > IDLE_CONNECTIONS ? 15 : 5);
    try (Loopback own = new Loopback(many)) {
      own.startAgent(app.getAddress(), UpstreamProtocol.HTTP1, Duration.ofSeconds(2),
          new CallerTimeouts(head, head));
      InetSocketAddress agent = own.agent.listenAddress();
      List<Socket> idle = new ArrayList<>(connections);
      try {
        long start = System.nanoTime();
        for (int i = 0; i < connections; i++) {
          idle.add(new Socket(InetAddress.getLoopbackAddress(), agent.getPort()));
        }
        Duration opening = Duration.ofNanos(System.nanoTime() - start);
        assertThat(opening).as("opening took most of the head timeout").isLessThan(head.dividedBy(2));

        everyoneElseIsServed(agent);
        assertThat(idle.get(0).getInputStream().available()).as("still open").isZero();

        long deadline = start + head.toNanos() + TimeUnit.SECONDS.toNanos(5);
        for (Socket socket : idle) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          assertThat(left).as("all closed by the request head timeout").isPositive();
          socket.setSoTimeout((int) left);
          assertThat(closedByServer(socket)).isTrue();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(head.minusMillis(100));
        everyoneElseIsServed(agent);
      } finally {
        for (Socket socket : idle) {
          socket.close();
        }
      }
    }
  }

  /**
   * The tunnel's gRPC server takes messages of up to grpc-java's default 4 MiB (the daemon takes 8 MiB from the
   * agent; the agent's own data frames are at most a channel read): a bigger one fails that stream with
   * RESOURCE_EXHAUSTED, and the agent carries on.
   */
  @Test
  void oversizeTunnelMessageGetsResourceExhausted() throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress(loopback.agent.tunnelAddress())
        .sslContext(UserPki.loadOrCreate(loopback.home.pkiDir(), TunnelIntercepts.ownerName()).clientContext())
        .overrideAuthority(AgentTls.AGENT_AUTHORITY)
        .build();
    try {
      CompletableFuture<Status> ended = new CompletableFuture<>();
      StreamObserver<ExchangeFrame> exchange = TunnelGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .exchange(new StreamObserver<>() {
            @Override
            public void onNext(ExchangeFrame frame) {}

            @Override
            public void onError(Throwable t) {
              ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              ended.complete(Status.OK);
            }
          });
      exchange.onNext(ExchangeFrame.newBuilder().setData(ByteString.copyFrom(new byte[5 * 1024 * 1024])).build());

      Status status = ended.get(10, TimeUnit.SECONDS);

      assertThat(status.getCode()).as("%s", status).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(log.stackTracesAtWarning()).noneMatch(line -> line.startsWith("io.devproxy"));
    everyoneElseIsServed();
  }
}

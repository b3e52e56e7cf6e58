package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a caller and a developer see when something is missing: nothing listening on the developer's port, no
 * app behind the agent, an app that speaks only HTTP/1.1, no agent at the address given. Each is a clear
 * message, quickly, never a hang.
 */
class ErrorsTest {

  @TempDir
  static Path root;

  static int deadPort;
  static RestServer cluster;
  static RestServer http1OnlyApp;
  /** An agent with an app, intercepted towards {@link #deadPort}. */
  static Loopback toDeadPort;
  /** An agent without an app (swap and shadow modes). */
  static Loopback noApp;
  /** An agent whose app speaks HTTP/1.1 only. */
  static Loopback http1App;
  static ManagedChannel toDeadPortChannel;
  static ManagedChannel noAppChannel;
  static HttpClient http1;
  static HttpClient http2;

  @BeforeAll
  static void start() throws Exception {
    deadPort = freePort();
    cluster = new RestServer("cluster");
    cluster.start();
    http1OnlyApp = new RestServer("legacy", true);
    http1OnlyApp.start();

    toDeadPort = new Loopback(root.resolve("dead"));
    toDeadPort.startAgent(cluster.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));
    toDeadPort.startDaemon();
    toDeadPort.intercept("dead", deadPort);

    noApp = new Loopback(root.resolve("noapp"));
    noApp.startAgent(null, UpstreamProtocol.AUTO, Duration.ofSeconds(2));

    http1App = new Loopback(root.resolve("h1"));
    http1App.startAgent(http1OnlyApp.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));

    toDeadPortChannel = NettyChannelBuilder.forTarget(toDeadPort.agentTarget()).usePlaintext().build();
    noAppChannel = NettyChannelBuilder.forTarget(noApp.agentTarget()).usePlaintext().build();
    http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws Exception {
    for (ManagedChannel channel : new ManagedChannel[] {toDeadPortChannel, noAppChannel}) {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    for (Loopback loopback : new Loopback[] {http1App, noApp, toDeadPort}) {
      if (loopback != null) {
        loopback.close();
      }
    }
    for (RestServer server : new RestServer[] {http1OnlyApp, cluster}) {
      if (server != null) {
        server.close();
      }
    }
  }

  /** A port nothing listens on (bound and released; nothing else in this test binds it again). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, Loopback.loopback(0).getAddress())) {
      return socket.getLocalPort();
    }
  }

  static HttpRequest.Builder request(Loopback loopback, String path, boolean developer) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + path))
        .timeout(Duration.ofSeconds(20));
    return developer ? builder.header("x-devproxy-session", Loopback.KEY) : builder;
  }

  static HelloRequest hello() {
    return HelloRequest.newBuilder().setName("dev").build();
  }

  // ---- nothing listening on the developer's port ----

  @Test
  void previewsAreRefusedWithTheReasonWhenNoClusterOrNoSessionKeyIsThere() {
    DevproxyException unknown = catchThrowableOfType(DevproxyException.class, () -> toDeadPort.intercepts
        .createPreview(CreatePreviewRequest.newBuilder().setName("nope").build()));
    DevproxyException noCluster = catchThrowableOfType(DevproxyException.class, () -> toDeadPort.intercepts
        .createPreview(CreatePreviewRequest.newBuilder().setName("dead").build()));
    DevproxyException headerOnly = catchThrowableOfType(DevproxyException.class, () -> toDeadPort.intercepts
        .intercept(InterceptRequest.newBuilder().setName("hdr").setLocalPort(deadPort).addHeaders("x-user=alice")
            .setAgentAddress("127.0.0.1:1")
            .setPreviewHost("alice.example.com").build()));

    assertThat(unknown.category()).isEqualTo(ErrorCategory.USER);
    assertThat(unknown).hasMessage("no intercept named 'nope'; run 'devproxy intercept nope --port PORT' first, or"
        + " 'devproxy status' to list them");
    assertThat(noCluster.category()).isEqualTo(ErrorCategory.USER);
    assertThat(noCluster).hasMessageStartingWith("intercept 'dead' was made with --agent-address and has no"
        + " cluster side");
    assertThat(headerOnly.category()).isEqualTo(ErrorCategory.USER);
    assertThat(headerOnly).hasMessage("previews route by your session key, which this intercept does not match (it"
        + " has --header or --path-prefix only); add --key KEY");
  }

  @Test
  void matchedHttpRequestGets502NamingTheLocalPortQuickly() throws Exception {
    for (HttpClient client : List.of(http1, http2)) {
      long started = System.nanoTime();
      HttpResponse<String> response = client.send(request(toDeadPort, "/who", true).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(response.body()).contains("devproxy: nothing listening on localhost:" + deadPort);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void matchedGrpcCallGetsUnavailableNamingTheLocalPortQuickly() {
    long started = System.nanoTime();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
        GreeterGrpc.newBlockingStub(toDeadPortChannel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(GrpcInterceptTest.sessionHeader()))
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .sayHello(hello()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("devproxy: nothing listening on localhost:" + deadPort);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void unmatchedRequestsStillReachTheAppWhileTheLocalPortIsDead() throws Exception {
    HttpResponse<String> response = http1.send(request(toDeadPort, "/who", false).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("cluster\n");
  }

  // ---- no app behind the agent ----

  @Test
  void unmatchedRequestWithoutAppGets503WithAPlainTextReason() throws Exception {
    for (HttpClient client : List.of(http1, http2)) {
      HttpResponse<String> response = client.send(request(noApp, "/who", false).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/plain"));
      assertThat(response.body()).startsWith("devproxy: ").contains("no session matches").endsWith("\n");
    }
  }

  @Test
  void unmatchedGrpcCallWithoutAppGetsUnavailable() {
    long started = System.nanoTime();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
        GreeterGrpc.newBlockingStub(noAppChannel).withDeadlineAfter(20, TimeUnit.SECONDS).sayHello(hello()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).startsWith("devproxy: ").contains("no session matches");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  // ---- an app that speaks HTTP/1.1 only ----

  @Test
  void http2CallerReachesAnHttp1OnlyAppThroughAutoProtocol() throws Exception {
    HttpResponse<String> response = http2.send(request(http1App, "/who", false).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(response.headers().firstValue("x-protocol")).hasValue("HTTP/1.1");
    assertThat(response.body()).isEqualTo("legacy\n");

    byte[] body = RestInterceptTest.pattern(300 * 1024);
    HttpResponse<byte[]> echoed = http2.send(request(http1App, "/echo", false)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(echoed.statusCode()).isEqualTo(200);
    assertThat(echoed.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(echoed.headers().firstValue("x-protocol")).hasValue("HTTP/1.1");
    assertThat(echoed.body()).isEqualTo(body);
  }

  @Test
  void curlWithHttp2PriorKnowledgeReachesAnHttp1OnlyApp() throws Exception {
    assumeTrue(curlSpeaksHttp2(), "curl with HTTP/2 support is not installed");
    Process curl = new ProcessBuilder("curl", "-sS", "-i", "--http2-prior-knowledge", "--max-time", "15",
        "http://" + http1App.agentTarget() + "/who").redirectErrorStream(true).start();
    String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(curl.exitValue()).as(output).isZero();
    assertThat(output).startsWith("HTTP/2 200").contains("x-protocol: HTTP/1.1").endsWith("\r\n\r\nlegacy\n");
  }

  static boolean curlSpeaksHttp2() {
    try {
      Process process = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
      String version = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0 && version.contains("HTTP2");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ---- no agent at the address ----

  @Test
  void interceptToAnAddressWhereNothingListensFailsFastWithClusterNamingTheAddress() throws Exception {
    String address = "127.0.0.1:" + deadPort;
    long started = System.nanoTime();
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> toDeadPort.intercepts.intercept(
        InterceptRequest.newBuilder().setName("nowhere").setAgentAddress(address).setLocalPort(cluster.address().getPort())
            .setKey("nobody").build()));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(e).isNotNull();
    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).contains(address);
    assertThat(toDeadPort.intercepts.list()).noneMatch(info -> info.getName().equals("nowhere"));
  }
}

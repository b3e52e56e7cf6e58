package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.sandbox.http.RestServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** REST through the agent over HTTP/1.1 and h2c: the developer's header goes to the local server. */
class RestInterceptTest {

  static final int TEN_MIB = 10 * 1024 * 1024;

  @TempDir
  static Path root;

  static RestServer cluster;
  static RestServer local;
  static Loopback loopback;
  static HttpClient http1;
  static HttpClient http2;

  @BeforeAll
  static void start() throws Exception {
    loopback = Loopback.withRestServers(root);
    cluster = loopback.cluster;
    local = loopback.local;
    loopback.intercept("rest", local.address().getPort());
    http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
  }

  static HttpRequest.Builder request(String path, boolean developer) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + path))
        .timeout(Duration.ofSeconds(30));
    if (developer) {
      builder.header("x-devproxy-session", Loopback.KEY);
    }
    return builder;
  }

  static String who(boolean developer) {
    return developer ? "local" : "cluster";
  }

  @Test
  void statusAndHeadersArePreservedOverBothProtocols() throws Exception {
    for (HttpClient client : List.of(http1, http2)) {
      for (boolean developer : new boolean[] {true, false}) {
        HttpResponse<String> response = client.send(request("/status/418", developer).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(418);
        assertThat(response.body()).isEqualTo("status 418\n");
        assertThat(response.headers().firstValue("x-served-by")).hasValue(who(developer));
      }
    }
  }

  @Test
  void http2CallerReachesTheAppOverHttp2AndHttp1CallerOverHttp1() throws Exception {
    for (boolean developer : new boolean[] {true, false}) {
      HttpResponse<String> viaH2 = http2.send(request("/who", developer).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(viaH2.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(viaH2.headers().firstValue("x-protocol")).hasValue("HTTP/2");
      assertThat(viaH2.body()).isEqualTo(who(developer) + "\n");
      HttpResponse<String> viaH1 = http1.send(request("/who", developer).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(viaH1.headers().firstValue("x-protocol")).hasValue("HTTP/1.1");
      assertThat(viaH1.body()).isEqualTo(who(developer) + "\n");
    }
  }

  @Test
  void tenMibBodiesFixedAndChunkedBothWays() throws Exception {
    for (HttpClient client : List.of(http1, http2)) {
      for (boolean developer : new boolean[] {true, false}) {
        for (boolean chunked : new boolean[] {true, false}) {
          HttpResponse<InputStream> response = client.send(
              request("/bytes?n=" + TEN_MIB + "&chunked=" + chunked, developer).build(),
              HttpResponse.BodyHandlers.ofInputStream());
          assertThat(response.statusCode()).isEqualTo(200);
          assertThat(response.headers().firstValue("x-served-by")).hasValue(who(developer));
          if (client == http1) {
            assertThat(response.headers().firstValue("content-length").isPresent()).isEqualTo(!chunked);
          }
          assertPattern(response.body(), TEN_MIB);
        }
      }
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "http2={0} developer={1} knownLength={2}")
  @org.junit.jupiter.params.provider.CsvSource({"false,true,true", "false,false,true", "true,true,true", "true,false,true",
      "false,true,false", "false,false,false", "true,true,false", "true,false,false"})
  void tenMibRequestBodyIsEchoed(boolean h2, boolean developer, boolean knownLength) throws Exception {
    HttpClient client = h2 ? http2 : http1;
    byte[] body = pattern(TEN_MIB);
    HttpRequest.BodyPublisher publisher = knownLength
        ? HttpRequest.BodyPublishers.ofByteArray(body)
        // An unknown-length body: the JDK client sends it chunked over HTTP/1.1.
        : HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body));
    HttpResponse<byte[]> echoed = client.sendAsync(request("/echo", developer)
        .header("x-custom", "kept")
        .POST(publisher).build(), HttpResponse.BodyHandlers.ofByteArray()).get(60, TimeUnit.SECONDS);
    assertThat(echoed.statusCode()).isEqualTo(200);
    assertThat(echoed.headers().firstValue("x-echo-x-custom")).hasValue("kept");
    assertThat(echoed.headers().firstValue("x-served-by")).hasValue(who(developer));
    assertThat(echoed.body()).isEqualTo(body);
  }

  @Test
  void hundredParallelKeepAliveConnections() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 100; i++) {
        futures.add(http1.sendAsync(request("/who", i % 2 == 0).build(), HttpResponse.BodyHandlers.ofString()));
      }
    }
    for (int i = 0; i < futures.size(); i++) {
      HttpResponse<String> response = futures.get(i).get(60, TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo(who(i % 2 == 0) + "\n");
    }
  }

  static byte[] pattern(int n) {
    byte[] bytes = new byte[n];
    for (int i = 0; i < n; i++) {
      bytes[i] = (byte) (i % 251);
    }
    return bytes;
  }

  static void assertPattern(InputStream in, long n) throws Exception {
    byte[] buffer = new byte[64 * 1024];
    long offset = 0;
    try (in) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        for (int i = 0; i < read; i++) {
          if (buffer[i] != (byte) ((offset + i) % 251)) {
            throw new AssertionError("byte " + (offset + i) + " is " + buffer[i]);
          }
        }
        offset += read;
      }
    }
    assertThat(offset).isEqualTo(n);
  }
}

package io.devproxy.sandbox.http;

import static io.devproxy.sandbox.http.HttpTestSupport.TIMEOUT;
import static io.devproxy.sandbox.http.HttpTestSupport.client;
import static io.devproxy.sandbox.http.HttpTestSupport.get;
import static io.devproxy.sandbox.http.HttpTestSupport.getString;
import static io.devproxy.sandbox.http.HttpTestSupport.protocolOf;
import static io.devproxy.sandbox.http.HttpTestSupport.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.sandbox.BytePattern;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpClient.Version;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** RestServer with h2c, through the JDK client over HTTP/1.1 and HTTP/2 ({@code Upgrade: h2c}). */
class RestServerTest {

    private static final int TEN_MIB = 10 * 1024 * 1024;

    private static RestServer server;
    private static int port;
    private static HttpClient http1;
    private static HttpClient http2;

    @BeforeAll
    static void startServer() throws IOException, InterruptedException {
        server = new RestServer("cluster");
        port = server.start().getPort();
        http1 = client(Version.HTTP_1_1);
        http2 = client(Version.HTTP_2);
        // The JDK client upgrades on its first request and reuses the HTTP/2 connection afterwards.
        assertThat(getString(http2, port, "/who").version()).isEqualTo(Version.HTTP_2);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static HttpClient clientFor(Version version) {
        return version == Version.HTTP_2 ? http2 : http1;
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void whoNamesTheServerAndTheProtocolItSaw(Version version) throws Exception {
        HttpResponse<String> response = getString(clientFor(version), port, "/who");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(version);
        assertThat(response.body()).isEqualTo("cluster\n");
        assertThat(response.headers().firstValue("x-served-by")).hasValue("cluster");
        assertThat(response.headers().firstValue("x-protocol")).hasValue(protocolOf(version));
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void bytesWithContentLengthStreamsThePattern(Version version) throws Exception {
        int n = 5 * PatternExchange.CHUNK_BYTES + 1234;

        HttpResponse<byte[]> response = get(clientFor(version), port, "/bytes?n=" + n + "&chunked=false");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(n);
        assertThat(response.headers().firstValue("transfer-encoding")).isEmpty();
        assertThat(response.headers().firstValue("x-protocol")).hasValue(protocolOf(version));
        assertThat(response.body()).hasSize(n);
        assertThat(BytePattern.mismatch(response.body())).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void bytesWithoutChunkedFalseStreamsThePatternWithoutLength(Version version) throws Exception {
        int n = 3 * PatternExchange.CHUNK_BYTES + 7;

        HttpResponse<byte[]> response = get(clientFor(version), port, "/bytes?n=" + n);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-length")).isEmpty();
        if (version == Version.HTTP_1_1) {
            assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
        }
        assertThat(response.headers().firstValue("x-protocol")).hasValue(protocolOf(version));
        assertThat(response.body()).hasSize(n);
        assertThat(BytePattern.mismatch(response.body())).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void bytesOfZeroIsAnEmptyBody(Version version) throws Exception {
        HttpResponse<byte[]> response = get(clientFor(version), port, "/bytes?n=0&chunked=false");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(0);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void bytesWithoutAValidCountIsBadRequest() throws Exception {
        assertThat(getString(http1, port, "/bytes").statusCode()).isEqualTo(400);
        assertThat(getString(http1, port, "/bytes?n=-1").statusCode()).isEqualTo(400);
        assertThat(getString(http1, port, "/bytes?n=ten").statusCode()).isEqualTo(400);
        assertThat(getString(http1, port, "/bytes?n=1&chunked=maybe").statusCode()).isEqualTo(400);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void echoStreamsTenMebibytesBackWithContentLengthAndEchoedHeaders(Version version) throws Exception {
        byte[] body = BytePattern.bytes(0, TEN_MIB);
        HttpRequest request = HttpRequest.newBuilder(uri(port, "/echo"))
                .timeout(TIMEOUT)
                .header("x-trace-id", "abc123")
                .header("content-type", "application/x-test")
                .header("accept", "*/*")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();

        HttpResponse<byte[]> response = clientFor(version).send(request, HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(version);
        assertThat(response.headers().firstValue("x-protocol")).hasValue(protocolOf(version));
        assertThat(response.headers().firstValue("x-served-by")).hasValue("cluster");
        assertThat(response.headers().firstValue("x-echo-x-trace-id")).hasValue("abc123");
        assertThat(response.headers().firstValue("x-echo-accept")).isEmpty();
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("x-echo-x-http2"));
        assertThat(response.headers().firstValue("content-type")).hasValue("application/x-test");
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(TEN_MIB);
        assertThat(response.body()).hasSize(TEN_MIB);
        assertThat(BytePattern.mismatch(response.body())).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void echoOfABodyOfUnknownLengthIsChunked(Version version) throws Exception {
        byte[] body = BytePattern.bytes(0, 300_000);
        HttpRequest request = HttpRequest.newBuilder(uri(port, "/echo"))
                .timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build();

        HttpResponse<byte[]> response = clientFor(version).send(request, HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-length")).isEmpty();
        if (version == Version.HTTP_1_1) {
            assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
        }
        assertThat(response.headers().firstValue("content-type")).hasValue("application/octet-stream");
        assertThat(response.body()).isEqualTo(body);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void statusAnswersWithTheRequestedCode(Version version) throws Exception {
        HttpResponse<String> teapot = getString(clientFor(version), port, "/status/418");
        HttpResponse<String> noContent = getString(clientFor(version), port, "/status/204");

        assertThat(teapot.statusCode()).isEqualTo(418);
        assertThat(teapot.body()).isEqualTo("status 418\n");
        assertThat(teapot.headers().firstValue("x-served-by")).hasValue("cluster");
        assertThat(noContent.statusCode()).isEqualTo(204);
        assertThat(noContent.body()).isEmpty();
    }

    @Test
    void statusOutsideTheFinalRangeIsBadRequest() throws Exception {
        assertThat(getString(http1, port, "/status/101").statusCode()).isEqualTo(400);
        assertThat(getString(http1, port, "/status/600").statusCode()).isEqualTo(400);
        assertThat(getString(http1, port, "/status/abc").statusCode()).isEqualTo(400);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void anythingElseIsNotFound(Version version) throws Exception {
        HttpResponse<String> unknownPath = getString(clientFor(version), port, "/nope");
        HttpResponse<String> wrongMethod = clientFor(version).send(
                HttpRequest.newBuilder(uri(port, "/who")).timeout(TIMEOUT)
                        .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(unknownPath.statusCode()).isEqualTo(404);
        assertThat(unknownPath.headers().firstValue("x-served-by")).hasValue("cluster");
        assertThat(wrongMethod.statusCode()).isEqualTo(404);
        // The connection survives a request whose body the server did not want.
        assertThat(getString(clientFor(version), port, "/who").body()).isEqualTo("cluster\n");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void clientGivingUpOnBytesStopsTheStreamAndTheConnectionStaysUsable(Version version) throws Exception {
        HttpResponse<InputStream> response = clientFor(version).send(
                HttpRequest.newBuilder(uri(port, "/bytes?n=" + (1L << 30))).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            assertThat(BytePattern.mismatch(body.readNBytes(100_000))).isEqualTo(-1);
        }

        // Over HTTP/2 this reuses the connection whose stream was just reset.
        assertThat(getString(clientFor(version), port, "/who").body()).isEqualTo("cluster\n");
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void servesManyRequestsInParallel(Version version) {
        int n = 50_000;
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            responses.add(clientFor(version).sendAsync(
                    HttpRequest.newBuilder(uri(port, "/bytes?n=" + n)).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }

        assertThat(responses).allSatisfy(future -> {
            HttpResponse<byte[]> response = future.join();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.version()).isEqualTo(version);
            assertThat(BytePattern.mismatch(response.body())).isEqualTo(-1);
            assertThat(response.body()).hasSize(n);
        });
    }
}

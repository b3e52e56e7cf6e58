package io.devproxy.sandbox.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RestServer through curl's HTTP/2 implementation (nghttp2): prior knowledge and {@code --http2} upgrade. */
class CurlTest {

    private static RestServer server;
    private static RestServer http1Only;

    @BeforeAll
    static void startServers() {
        assumeTrue(curlAvailable(), "curl is not installed");
        server = new RestServer("cluster");
        server.start();
        http1Only = new RestServer("legacy", true);
        http1Only.start();
    }

    @AfterAll
    static void stopServers() {
        if (server != null) {
            server.close();
            http1Only.close();
        }
    }

    @Test
    void priorKnowledgeGetsHttp2() throws Exception {
        Result result = curl("--http2-prior-knowledge", "-i", url(server, "/who"));

        assertThat(result.exitCode).isZero();
        assertThat(result.output)
                .startsWith("HTTP/2 200")
                .contains("x-served-by: cluster", "x-protocol: HTTP/2")
                .endsWith("\r\n\r\ncluster\n");
    }

    @Test
    void priorKnowledgeStreamsBytes() throws Exception {
        Result result = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{size_download}",
                url(server, "/bytes?n=1000000&chunked=true"));

        assertThat(result.exitCode).isZero();
        assertThat(result.output).isEqualTo("2 1000000");
    }

    @Test
    void priorKnowledgeEchoesABody(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path body = dir.resolve("body");
        Files.write(body, io.devproxy.sandbox.BytePattern.bytes(0, 1_000_000));
        Path echoed = dir.resolve("echoed");

        Result result = curl("--http2-prior-knowledge", "--data-binary", "@" + body, "-o", echoed.toString(),
                "-w", "%{http_version} %{response_code}", url(server, "/echo"));

        assertThat(result.output).isEqualTo("2 200");
        assertThat(Files.readAllBytes(echoed)).isEqualTo(Files.readAllBytes(body));
    }

    @Test
    void upgradeGetsHttp2() throws Exception {
        Result result = curl("--http2", "-i", url(server, "/who"));

        assertThat(result.output)
                .startsWith("HTTP/1.1 101 Switching Protocols")
                .contains("HTTP/2 200", "x-protocol: HTTP/2")
                .endsWith("cluster\n");
    }

    @Test
    void http1OnlyServerRefusesPriorKnowledge() throws Exception {
        Result result = curl("--http2-prior-knowledge", url(http1Only, "/who"));

        assertThat(result.exitCode).isNotZero();
    }

    private static String url(RestServer s, String pathAndQuery) {
        return "http://127.0.0.1:" + s.port() + pathAndQuery;
    }

    private record Result(int exitCode, String output) {
    }

    private static Result curl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("curl finished").isTrue();
        return new Result(process.exitValue(), output);
    }

    private static boolean curlAvailable() {
        try {
            Process process = new ProcessBuilder("curl", "--version")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

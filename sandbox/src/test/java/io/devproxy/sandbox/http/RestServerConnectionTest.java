package io.devproxy.sandbox.http;

import static io.devproxy.sandbox.http.HttpTestSupport.readHead;
import static io.devproxy.sandbox.http.HttpTestSupport.readToEnd;
import static io.devproxy.sandbox.http.HttpTestSupport.smallBufferSocket;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.sandbox.BytePattern;
import io.devproxy.sandbox.SandboxServer;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP/1.1 connection behaviour seen from a raw socket: keep-alive, pipelining, backpressure. */
class RestServerConnectionTest {

    private static final int ECHO_BUFFER_BYTES = 64 * 1024;

    private static RestServer server;
    private static int port;

    @BeforeAll
    static void startServer() {
        server = new RestServer("cluster", SandboxServer.loopback(0), false, ECHO_BUFFER_BYTES);
        port = server.start().getPort();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAndConnectionCloseIsHonoured() throws IOException {
        try (Socket socket = smallBufferSocket(port)) {
            socket.getOutputStream().write(("GET /bytes?n=100000&chunked=true HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /status/418 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /who HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));

            String all = readToEnd(socket.getInputStream());

            int bytes = all.indexOf("HTTP/1.1 200 OK");
            int teapot = all.indexOf("HTTP/1.1 418");
            int echo = all.indexOf("HTTP/1.1 200 OK", teapot);
            int who = all.indexOf("HTTP/1.1 200 OK", echo + 1);
            assertThat(bytes).isZero();
            assertThat(teapot).isGreaterThan(bytes + 100_000);
            assertThat(echo).isGreaterThan(teapot);
            assertThat(all.substring(echo, who)).endsWith("\r\n\r\nhello");
            assertThat(who).isGreaterThan(echo);
            assertThat(all.substring(who)).contains("connection: close").endsWith("\r\n\r\ncluster\n");
        }
    }

    @Test
    void upgradeRequestWithASmallBodySwitchesToHttp2() throws IOException {
        try (Socket socket = smallBufferSocket(port)) {
            socket.getOutputStream().write(upgradeRequest(1000));

            assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 101 Switching Protocols");
        }
    }

    @Test
    void upgradeRequestWithALargeBodyIsServedOverHttp11Instead() throws IOException {
        try (Socket socket = smallBufferSocket(port)) {
            socket.getOutputStream().write(upgradeRequest(HttpServerInitializer.MAX_UPGRADE_BODY_BYTES + 1));
            InputStream in = socket.getInputStream();

            assertThat(readHead(in)).startsWith("HTTP/1.1 200 OK").contains("x-protocol: HTTP/1.1");
            byte[] echoed = in.readNBytes(HttpServerInitializer.MAX_UPGRADE_BODY_BYTES + 1);
            assertThat(BytePattern.mismatch(echoed)).isEqualTo(-1);
        }
    }

    private static byte[] upgradeRequest(int bodyBytes) {
        byte[] head = ("POST /echo HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: " + bodyBytes + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(head, head.length + bodyBytes);
        BytePattern.fill(request, head.length, bodyBytes, 0);
        return request;
    }

    @Test
    void malformedRequestIsBadRequestAndClosesTheConnection() throws IOException {
        try (Socket socket = smallBufferSocket(port)) {
            socket.getOutputStream().write("GET /who HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));

            String all = readToEnd(socket.getInputStream());

            assertThat(all).startsWith("HTTP/1.1 400 Bad Request").contains("x-served-by: cluster");
        }
    }

    @Test
    void echoStopsReadingWhileTheClientDoesNotReadAndResumesWhenItDoes() throws Exception {
        long total = 64L * 1024 * 1024;
        try (Socket socket = smallBufferSocket(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + total + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            AtomicLong sent = new AtomicLong();
            Thread writer = new Thread(() -> writePattern(out, total, sent), "echo-body-writer");
            writer.setDaemon(true);
            writer.start();

            long stalledAt = awaitStall(sent::get);

            assertThat(stalledAt).as("bytes the server accepted from a client that reads nothing")
                    .isLessThan(total / 2);

            InputStream in = socket.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200 OK");
            byte[] echoed = in.readNBytes((int) stalledAt + 1024 * 1024);
            assertThat(BytePattern.mismatch(echoed)).isEqualTo(-1);
            await().atMost(Duration.ofSeconds(5)).until(() -> sent.get() > stalledAt + 1024 * 1024);
        }
    }

    @Test
    void bytesAreProducedOnlyAsFastAsTheClientReads() throws Exception {
        ByteBufAllocatorMetricProvider allocator = (ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT;
        long before = allocator.metric().usedDirectMemory();
        long total = 512L * 1024 * 1024;
        try (Socket socket = smallBufferSocket(port)) {
            socket.getOutputStream().write(("GET /bytes?n=" + total + "&chunked=false HTTP/1.1\r\nHost: t\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertThat(readHead(in)).contains("content-length: " + total);
            byte[] start = in.readNBytes(1024 * 1024);
            assertThat(BytePattern.mismatch(start)).isEqualTo(-1);

            // The client stops reading: without backpressure the server would now buffer the remaining ~511 MiB.
            long used = awaitStall(() -> allocator.metric().usedDirectMemory());

            assertThat(used - before).isLessThan(64L * 1024 * 1024);
            byte[] more = in.readNBytes(1024 * 1024);
            assertThat(BytePattern.mismatch(more, 0, more.length, start.length)).isEqualTo(-1);
        }
    }

    /** Waits until {@code counter} stops moving for a few polls; returns where it stopped. */
    static long awaitStall(LongSupplier counter) {
        long[] last = {-1};
        int[] unchanged = {0};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            long now = counter.getAsLong();
            unchanged[0] = now == last[0] ? unchanged[0] + 1 : 0;
            last[0] = now;
            return unchanged[0] >= 3;
        });
        return last[0];
    }

    private static void writePattern(OutputStream out, long total, AtomicLong sent) {
        byte[] chunk = new byte[8192];
        try {
            while (sent.get() < total) {
                int size = (int) Math.min(chunk.length, total - sent.get());
                BytePattern.fill(chunk, 0, size, sent.get());
                out.write(chunk, 0, size);
                sent.addAndGet(size);
            }
        } catch (IOException e) {
            // The test closed the socket.
        }
    }
}

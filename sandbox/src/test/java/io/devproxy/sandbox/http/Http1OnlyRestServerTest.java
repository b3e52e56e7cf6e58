package io.devproxy.sandbox.http;

import static io.devproxy.sandbox.http.HttpTestSupport.client;
import static io.devproxy.sandbox.http.HttpTestSupport.getString;
import static io.devproxy.sandbox.http.HttpTestSupport.readToEnd;
import static io.devproxy.sandbox.http.HttpTestSupport.smallBufferSocket;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.http.HttpClient.Version;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An HTTP/1.1-only RestServer stands in for an application without HTTP/2. */
class Http1OnlyRestServerTest {

    private static RestServer server;
    private static int port;

    @BeforeAll
    static void startServer() {
        server = new RestServer("legacy", true);
        port = server.start().getPort();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void http2ClientFallsBackToHttp11BecauseTheUpgradeIsIgnored() throws Exception {
        HttpResponse<String> response = getString(client(Version.HTTP_2), port, "/who");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(Version.HTTP_1_1);
        assertThat(response.headers().firstValue("x-protocol")).hasValue("HTTP/1.1");
        assertThat(response.body()).isEqualTo("legacy\n");
        assertThat(server.http1Only()).isTrue();
    }

    @Test
    void http2PrefaceIsAnsweredBadRequestAndClosed() throws Exception {
        try (Socket socket = smallBufferSocket(port)) {
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            String all = readToEnd(socket.getInputStream());

            assertThat(all).startsWith("HTTP/1.1 400 Bad Request").contains("x-served-by: legacy");
        }
    }
}

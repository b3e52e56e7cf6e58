package io.devproxy.sandbox.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** JDK HttpClient and raw-socket helpers for the REST tests. */
final class HttpTestSupport {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private HttpTestSupport() {
    }

    static HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).connectTimeout(TIMEOUT).build();
    }

    static URI uri(int port, String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    static HttpResponse<byte[]> get(HttpClient client, int port, String pathAndQuery)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(port, pathAndQuery)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> getString(HttpClient client, int port, String pathAndQuery)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(port, pathAndQuery)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The protocol name the servers put in {@code x-protocol} for a JDK client version. */
    static String protocolOf(HttpClient.Version version) {
        return version == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1";
    }

    /** Opens a loopback socket with small buffers, so the kernel cannot hide missing backpressure. */
    static Socket smallBufferSocket(int port) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(64 * 1024);
        socket.setSendBufferSize(64 * 1024);
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return socket;
    }

    /** Reads until the server closes the connection. */
    static String readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads an HTTP/1.1 response head, up to and including the blank line. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }
}

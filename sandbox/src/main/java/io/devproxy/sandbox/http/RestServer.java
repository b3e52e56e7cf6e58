package io.devproxy.sandbox.http;

import static java.util.Objects.requireNonNull;

import io.devproxy.sandbox.SandboxServer;
import io.devproxy.sandbox.Who;
import java.net.InetSocketAddress;

/**
 * REST endpoints over HTTP/1.1 and cleartext HTTP/2 on one port, for tests that need an HTTP workload.
 *
 * <p>Protocols: HTTP/1.1 with keep-alive (pipelined requests are answered in order), and h2c both by prior
 * knowledge and by {@code Upgrade: h2c} on a connection's first request (an upgrade request with a chunked
 * body or one over 64 KiB is served over HTTP/1.1 instead: Netty would have to buffer it). With
 * {@code http1Only}, there is no HTTP/2 at all: {@code Upgrade: h2c} is ignored and an HTTP/2 preface is
 * answered 400 and the connection closed, like an HTTP/1.1-only application.
 *
 * <p>Every response carries {@code x-served-by: <who>} and {@code x-protocol: HTTP/1.1|HTTP/2} (what the server
 * saw). Endpoints:
 * <ul>
 *   <li>{@code GET /who}: 200, {@code text/plain}, body {@code "<who>\n"};
 *   <li>{@code GET /bytes?n=N&chunked=true|false}: 200, N bytes of {@link io.devproxy.sandbox.BytePattern}
 *       ({@code byte i = (byte) (i % 251)}) in 16 KiB chunks, each written only when the connection can take
 *       it, so N may be many GiB. {@code content-length} with {@code chunked=false}; otherwise (also without
 *       the parameter) {@code transfer-encoding: chunked} over HTTP/1.1 and plain DATA frames over HTTP/2. A
 *       missing or negative N, or another chunked value, is 400;
 *   <li>{@code POST /echo}: 200, the request body streamed back as it arrives (never aggregated), framed like
 *       the request ({@code content-length} if it had one, else chunked); {@code content-type} copied, each
 *       request header {@code x-foo} returned as {@code x-echo-x-foo}. Once {@code echoBufferBytes} (default
 *       16 MiB) of echo wait unsent, the server stops reading the body until the client reads: a client that
 *       sends its whole body before reading the response can echo about that much (plus socket buffers);
 *   <li>{@code GET /status/{code}} for code 200-599: that status, body {@code "status <code>\n"} (none for 204
 *       and 304); other codes are 400;
 *   <li>anything else, including a known path with another method: 404.
 * </ul>
 *
 * <p>Owns two event-loop threads, released by {@link #close()}, which also closes open connections.
 * Thread-safe.
 */
public final class RestServer implements SandboxServer {

    /** Default of {@code echoBufferBytes}: 16 MiB. */
    public static final int DEFAULT_ECHO_BUFFER_BYTES = 16 * 1024 * 1024;

    private final String who;
    private final boolean http1Only;
    private final NettyListener listener;

    /** A server with h2c, on {@code 127.0.0.1} and a port the OS picks at {@link #start()}. */
    public RestServer(String who) {
        this(who, false);
    }

    /** A server on {@code 127.0.0.1} and a port the OS picks; {@code http1Only}: no HTTP/2 at all. */
    public RestServer(String who, boolean http1Only) {
        this(who, SandboxServer.loopback(0), http1Only);
    }

    /** A server on {@code bindAddress} (port 0: the OS picks one); {@code http1Only}: no HTTP/2 at all. */
    public RestServer(String who, InetSocketAddress bindAddress, boolean http1Only) {
        this(who, bindAddress, http1Only, DEFAULT_ECHO_BUFFER_BYTES);
    }

    /**
     * A server on {@code bindAddress} (port 0: the OS picks one); {@code http1Only}: no HTTP/2 at all.
     *
     * @param echoBufferBytes how much of an {@code /echo} response may wait unsent before the server stops reading
     *     the request body; small values make backpressure visible to a test, large ones let clients that send
     *     the whole body before reading (the JDK client over HTTP/1.1) echo bodies that large
     */
    public RestServer(String who, InetSocketAddress bindAddress, boolean http1Only, int echoBufferBytes) {
        this.who = Who.check(who);
        this.http1Only = http1Only;
        if (echoBufferBytes < 1024) {
            throw new IllegalArgumentException("echoBufferBytes: " + echoBufferBytes + " (expected: >= 1024)");
        }
        RestConfig config = new RestConfig(who, echoBufferBytes);
        this.listener = new NettyListener(toString(), requireNonNull(bindAddress, "bindAddress"),
                new HttpServerInitializer(config, !http1Only, new RestStreamInitializer(config)));
    }

    @Override
    public InetSocketAddress start() {
        return listener.start();
    }

    @Override
    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public String who() {
        return who;
    }

    /** Whether this server refuses HTTP/2. */
    public boolean http1Only() {
        return http1Only;
    }

    /** Stops listening, closes open connections and waits for the event loops to stop. Idempotent. */
    @Override
    public void close() {
        listener.close();
    }

    @Override
    public String toString() {
        return "RestServer[" + who + (http1Only ? ", http1Only]" : "]");
    }
}

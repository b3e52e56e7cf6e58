package io.devproxy.sandbox.http;

import static java.util.Objects.requireNonNull;

import io.devproxy.sandbox.CallLog;
import io.devproxy.sandbox.RecordsCalls;
import io.devproxy.sandbox.SandboxServer;
import io.devproxy.sandbox.Who;
import java.net.InetSocketAddress;

/**
 * The demo's one service: on ONE port, the {@link RestServer} endpoints (HTTP/1.1 and h2c, same behaviour) and
 * the Greeter's {@code SayHello} and {@code SayHelloStream} for real gRPC clients over h2c.
 *
 * <p>gRPC is implemented by hand on the HTTP/2 stream ({@code content-type: application/grpc*} selects it), with
 * the same behaviour as {@link io.devproxy.sandbox.greeter.GreeterServer} for those two methods:
 * {@code x-served-by} header, {@code x-served-by-trailer} trailer, {@code "not-found"} fails with
 * {@code NOT_FOUND} and {@code x-error-detail: missing}, {@code "hang"} is never answered, server streams are
 * sent only while the stream is writable. Other methods get {@code UNIMPLEMENTED}; compressed request messages
 * {@code INTERNAL}; requests over 4 MiB {@code RESOURCE_EXHAUSTED}. Request deadlines are left to the client.
 *
 * <p>{@link #calls()} and the cancellation hooks count gRPC calls only; a call counts as cancelled when its
 * stream ends before the answer's trailers were written (client cancel or deadline, lost connection, or
 * {@link #close()}).
 *
 * <p>Owns two event-loop threads, released by {@link #close()}. Thread-safe.
 */
public final class SampleApp implements SandboxServer, RecordsCalls {

    private final String who;
    private final CallLog callLog = new CallLog();
    private final NettyListener listener;

    /** An app on {@code 127.0.0.1} and a port the OS picks at {@link #start()}. */
    public SampleApp(String who) {
        this(who, SandboxServer.loopback(0));
    }

    /** An app on {@code bindAddress} (port 0: the OS picks one). */
    public SampleApp(String who, InetSocketAddress bindAddress) {
        this.who = Who.check(who);
        RestConfig config = new RestConfig(who, RestServer.DEFAULT_ECHO_BUFFER_BYTES);
        this.listener = new NettyListener(toString(), requireNonNull(bindAddress, "bindAddress"),
                new HttpServerInitializer(config, true, new StreamProtocolSelector(config, callLog)));
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

    @Override
    public CallLog callLog() {
        return callLog;
    }

    /** Stops listening, closes open connections and waits for the event loops to stop. Idempotent. */
    @Override
    public void close() {
        listener.close();
    }

    @Override
    public String toString() {
        return "SampleApp[" + who + "]";
    }
}

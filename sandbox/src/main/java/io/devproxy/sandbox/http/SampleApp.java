package io.devproxy.sandbox.http;

import static java.util.Objects.requireNonNull;

import io.devproxy.sandbox.CallLog;
import io.devproxy.sandbox.Cancellation;
import io.devproxy.sandbox.SandboxServer;
import io.devproxy.sandbox.Who;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

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
public final class SampleApp implements SandboxServer {

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

    /** Returns the number of gRPC calls started so far, of any method and outcome. */
    public int calls() {
        return callLog.calls();
    }

    /** Returns the number of gRPC calls cancelled so far. */
    public int cancellations() {
        return callLog.cancellations();
    }

    /** Returns the gRPC calls cancelled so far, oldest first, each with the time the server observed it. */
    public List<Cancellation> cancelledCalls() {
        return callLog.cancelledCalls();
    }

    /**
     * Waits until any gRPC call has been cancelled.
     *
     * @return true once a call was cancelled (at once if one already was), false if {@code timeout} passed
     */
    public boolean awaitCancellation(Duration timeout) throws InterruptedException {
        return callLog.awaitCancellation(timeout);
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

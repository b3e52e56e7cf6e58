package io.devproxy.sandbox.greeter;

import static java.util.Objects.requireNonNull;

import io.devproxy.sandbox.CallLog;
import io.devproxy.sandbox.SandboxHeaders;
import io.devproxy.sandbox.RecordsCalls;
import io.devproxy.sandbox.SandboxServer;
import io.devproxy.sandbox.Who;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@code helloworld.Greeter} service on grpc-java, for tests that need a real gRPC workload.
 *
 * <p>Behaviour, identical for every call of a method:
 * <ul>
 *   <li>every call: header metadata {@code x-served-by: <who>} and trailer metadata
 *       {@code x-served-by-trailer: <who>}; a trailers-only answer (an error before any reply) carries both in
 *       its single header block;
 *   <li>{@code SayHello}: {@code "Hello <name>"}, {@code served_by = who}, index 0. The name
 *       {@value #NOT_FOUND_NAME} fails with {@code NOT_FOUND} "no greeting for not-found" and trailer
 *       {@code x-error-detail: missing}; the name {@value #HANG_NAME} is never answered;
 *   <li>{@code SayHelloStream}: {@code count} replies {@code "Hello <name>"} with index 0..count-1, each with
 *       {@code payload_bytes} bytes of {@link io.devproxy.sandbox.BytePattern}; count &lt; 0 streams until the
 *       client cancels. Replies are produced only while the transport is ready, so a slow client holds the
 *       server back instead of filling its memory. {@code payload_bytes < 0} fails with {@code INVALID_ARGUMENT};
 *   <li>{@code Collect}: after the client half-closes, one reply whose message is the names joined by ",";
 *   <li>{@code Chat}: one reply {@code "Hello <name>"} per request, index = the request's 0-based position;
 *       completes when the client completes.
 * </ul>
 *
 * <p>Every call counts in {@link #calls()}; every call cancelled before it completed (client cancel, deadline,
 * connection loss, or {@link #close()}) in {@link #cancellations()}, with the time the server observed it.
 *
 * <p>Runs the service on its own two-thread executor, as a grpc-java service normally does: an endless
 * {@code SayHelloStream} keeps that executor busy producing replies, and the transport's event loop stays free
 * to notice a client's RST_STREAM at once (with a direct executor, a fast reader with a large window keeps the
 * event loop producing and the cancellation waits for seconds). Thread-safe.
 */
public final class GreeterServer implements SandboxServer, RecordsCalls {

    /** {@code SayHello} with this name fails with {@code NOT_FOUND}. */
    public static final String NOT_FOUND_NAME = "not-found";

    /** {@code SayHello} with this name is never answered; use a deadline or cancel it. */
    public static final String HANG_NAME = "hang";

    /** Header metadata naming the server that answered. */
    public static final Metadata.Key<String> SERVED_BY =
            Metadata.Key.of(SandboxHeaders.SERVED_BY, Metadata.ASCII_STRING_MARSHALLER);

    /** Trailer metadata naming the server that answered. */
    public static final Metadata.Key<String> SERVED_BY_TRAILER =
            Metadata.Key.of(SandboxHeaders.SERVED_BY_TRAILER, Metadata.ASCII_STRING_MARSHALLER);

    /** Trailer metadata of the {@code NOT_FOUND} answer; value {@code missing}. */
    public static final Metadata.Key<String> ERROR_DETAIL =
            Metadata.Key.of(SandboxHeaders.ERROR_DETAIL, Metadata.ASCII_STRING_MARSHALLER);

    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    private final String who;
    private final InetSocketAddress bindAddress;
    private final CallLog callLog = new CallLog();

    private Server server;
    private ExecutorService executor;
    private InetSocketAddress address;
    private boolean closed;

    /** A server on {@code 127.0.0.1}, on a port the OS picks at {@link #start()}. */
    public GreeterServer(String who) {
        this(who, SandboxServer.loopback(0));
    }

    /** A server on {@code bindAddress} (port 0: the OS picks one). */
    public GreeterServer(String who, InetSocketAddress bindAddress) {
        this.who = Who.check(who);
        this.bindAddress = requireNonNull(bindAddress, "bindAddress");
    }

    @Override
    public synchronized InetSocketAddress start() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (server != null) {
            throw new IllegalStateException(this + " is already started");
        }
        executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "greeter-" + who);
            thread.setDaemon(true);
            return thread;
        });
        Server s = NettyServerBuilder.forAddress(bindAddress)
                .executor(executor)
                .addService(ServerInterceptors.intercept(
                        new GreeterService(who),
                        new ServedByInterceptor(who),
                        new CallRecordingInterceptor(callLog)))
                .build();
        try {
            s.start();
        } catch (IOException e) {
            throw new UncheckedIOException(this + " could not listen on " + bindAddress, e);
        }
        server = s;
        address = (InetSocketAddress) s.getListenSockets().get(0);
        return address;
    }

    @Override
    public synchronized InetSocketAddress address() {
        if (address == null) {
            throw new IllegalStateException(this + " is not started");
        }
        return address;
    }

    @Override
    public String who() {
        return who;
    }

    @Override
    public CallLog callLog() {
        return callLog;
    }

    /**
     * Stops the server at once: in-flight calls are cancelled (and counted as cancellations), then waits up to
     * 10 seconds for the transport to terminate. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (server == null) {
            return;
        }
        server.shutdownNow();
        try {
            server.awaitTermination(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "GreeterServer[" + who + "]";
    }
}

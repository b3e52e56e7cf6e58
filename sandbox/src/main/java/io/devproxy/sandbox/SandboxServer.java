package io.devproxy.sandbox;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A sample workload listening on one TCP port.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()}. Implementations are thread-safe.
 */
public interface SandboxServer extends AutoCloseable {

    /**
     * Binds and starts serving.
     *
     * @return the bound address; with port 0 requested, it carries the port the OS chose
     * @throws java.io.UncheckedIOException if the address cannot be bound
     * @throws IllegalStateException if already started or closed
     */
    InetSocketAddress start();

    /**
     * Returns the address {@link #start()} bound.
     *
     * @throws IllegalStateException if not started yet
     */
    InetSocketAddress address();

    /** Returns the bound port; same preconditions as {@link #address()}. */
    default int port() {
        return address().getPort();
    }

    /** Returns the label this server puts on every answer, e.g. {@code "cluster"} or {@code "local"}. */
    String who();

    /**
     * Stops listening, closes open connections and calls, and waits until that is done. Idempotent; a server
     * closed before it was started never starts.
     */
    @Override
    void close();

    /** Returns {@code 127.0.0.1:port} (the loopback address); port 0 asks the OS for a free port. */
    static InetSocketAddress loopback(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }
}

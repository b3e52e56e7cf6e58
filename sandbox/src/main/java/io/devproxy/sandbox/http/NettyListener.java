package io.devproxy.sandbox.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One listening socket and the event loops behind it: the lifecycle {@link RestServer} and {@link SampleApp}
 * share. Owns its {@link EventLoopGroup} and shuts it down on {@link #close()}. Thread-safe.
 */
final class NettyListener {

    /** Two loops: enough for parallel test connections on a small machine. */
    private static final int EVENT_LOOP_THREADS = 2;
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 10;

    private final String name;
    private final InetSocketAddress bindAddress;
    private final ChannelHandler childHandler;

    private EventLoopGroup group;
    private Channel serverChannel;
    private InetSocketAddress address;
    private boolean closed;

    /**
     * @param name how errors name the server, e.g. {@code RestServer[cluster]}
     * @param childHandler a sharable initializer for each accepted connection
     */
    NettyListener(String name, InetSocketAddress bindAddress, ChannelHandler childHandler) {
        this.name = name;
        this.bindAddress = bindAddress;
        this.childHandler = childHandler;
    }

    synchronized InetSocketAddress start() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        if (group != null) {
            throw new IllegalStateException(name + " is already started");
        }
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS, NioIoHandler.newFactory());
        ChannelFuture bound = new ServerBootstrap()
                .group(g)
                .channel(NioServerSocketChannel.class)
                .childHandler(childHandler)
                .bind(bindAddress)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            g.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
            Throwable cause = bound.cause();
            IOException io = cause instanceof IOException e ? e : new IOException(cause);
            throw new UncheckedIOException(
                    name + " could not listen on " + bindAddress + ": " + cause.getMessage(), io);
        }
        group = g;
        serverChannel = bound.channel();
        address = (InetSocketAddress) serverChannel.localAddress();
        return address;
    }

    synchronized InetSocketAddress address() {
        if (address == null) {
            throw new IllegalStateException(name + " is not started");
        }
        return address;
    }

    /** Stops accepting, closes every open connection, and waits for the event loops to terminate. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (group == null) {
            return;
        }
        serverChannel.close().syncUninterruptibly();
        // No quiet period: connections still open are closed at once, which is what a test's close() means.
        group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

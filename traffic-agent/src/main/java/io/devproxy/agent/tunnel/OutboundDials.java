package io.devproxy.agent.tunnel;

import io.devproxy.agent.admin.AgentMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the agent needs to dial for daemons: the pod's own resolver (the cluster's DNS with the namespace's
 * search domains, as the app in the pod would resolve) on a small pool of its own, because the JDK's lookup
 * blocks; and connections made on the agent's event loops.
 *
 * <p>Thread-safe. Owns the resolver pool; {@link #close()} stops it.
 */
public final class OutboundDials implements AutoCloseable {

  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(60);
  private static final int RESOLVER_THREADS = 4;
  private static final int RESOLVER_QUEUE = 256;

  private final EventLoopGroup group;
  private final AgentMetrics metrics;
  private final ThreadPoolExecutor resolver;

  public OutboundDials(EventLoopGroup group, AgentMetrics metrics) {
    this.group = group;
    this.metrics = metrics;
    this.resolver = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(RESOLVER_QUEUE), r -> {
          Thread t = new Thread(r, "devproxy-agent-resolver");
          t.setDaemon(true);
          return t;
        });
    resolver.allowCoreThreadTimeOut(true);
  }

  AgentMetrics metrics() {
    return metrics;
  }

  /**
   * Resolves {@code host} with the pod's resolver. Fails with {@link UnknownHostException} when it does not
   * resolve, and with {@link RejectedExecutionException} when too many lookups wait.
   */
  CompletableFuture<InetAddress> resolve(String host) {
    CompletableFuture<InetAddress> result = new CompletableFuture<>();
    try {
      resolver.execute(() -> {
        try {
          result.complete(InetAddress.getByName(host));
        } catch (UnknownHostException | RuntimeException e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(e);
    }
    return result;
  }

  /**
   * Connects to {@code address} with AUTO_READ off, the channel's pipeline empty for the relay.
   *
   * @param timeout the connect timeout, bounded to {@link #MAX_CONNECT_TIMEOUT}
   */
  ChannelFuture connect(InetSocketAddress address, Duration timeout) {
    long millis = Math.min(timeout.toMillis(), MAX_CONNECT_TIMEOUT.toMillis());
    return new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) millis)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {}
        })
        .connect(address);
  }

  @Override
  public void close() {
    resolver.shutdownNow();
  }
}

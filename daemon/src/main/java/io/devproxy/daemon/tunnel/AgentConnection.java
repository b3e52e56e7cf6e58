package io.devproxy.daemon.tunnel;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Offer;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.devproxy.tunnel.pki.AgentTls;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The daemon's one connection to one agent: a gRPC channel (mTLS, keepalive; gRPC reconnects it) and the
 * pool of idle Exchange streams that lets the agent hand over a request without a round trip. Shared by the
 * intercepts that use the same agent.
 *
 * <p>Thread-safe. Owns the gRPC channel; {@link #close()} shuts it down.
 */
final class AgentConnection implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(AgentConnection.class.getName());
  /** Idle streams kept open at first. */
  static final int IDLE_TARGET = 8;
  /** The most idle streams kept open once bursts have raised the target. */
  static final int MAX_IDLE_TARGET = 128;

  private final String address;
  private final String clientId;
  private final ManagedChannel channel;
  private final TunnelGrpc.TunnelStub stub;
  private final EventLoopGroup group;
  private final ScheduledExecutorService scheduler;
  private final Function<String, LocalTarget> targets;
  private int idle;
  /**
   * How many idle streams {@link #refill()} keeps open: {@link #IDLE_TARGET}, raised by each stream the agent
   * had to ask for (a burst found the pool empty), up to {@link #MAX_IDLE_TARGET}, for the connection's life.
   */
  private int target = IDLE_TARGET;
  private int users;
  private boolean refillScheduled;
  private boolean closed;

  /**
   * @param targets finds the local target of a session id (null when the session is unknown here)
   */
  AgentConnection(InetSocketAddress address, String clientId, SslContext tls, EventLoopGroup group,
      ScheduledExecutorService scheduler, Function<String, LocalTarget> targets) {
    this.address = address.getHostString() + ":" + address.getPort();
    this.clientId = requireNonNull(clientId, "clientId");
    this.group = group;
    this.scheduler = scheduler;
    this.targets = targets;
    this.channel = NettyChannelBuilder.forAddress(address)
        .channelType(NioSocketChannel.class)
        .eventLoopGroup(group)
        .sslContext(tls)
        .overrideAuthority(AgentTls.AGENT_AUTHORITY)
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        // 1 MiB to start, then grown with the link's bandwidth-delay product (grpc-java's BDP pings, up to 8 MiB):
        // a fixed 1 MiB held bulk over a 20 ms round trip to 18 MB/s; auto-tuned, 43 MB/s (bench/run).
        .initialFlowControlWindow(1024 * 1024)
        .maxInboundMessageSize(8 * 1024 * 1024)
        .directExecutor()
        .build();
    this.stub = TunnelGrpc.newStub(channel);
  }

  String address() {
    return address;
  }

  String clientId() {
    return clientId;
  }

  TunnelGrpc.TunnelStub stub() {
    return stub;
  }

  ManagedChannel channel() {
    return channel;
  }

  /** One more intercept uses this connection. */
  synchronized void retain() {
    users++;
  }

  /** One intercept fewer; returns true when none is left (the caller closes it). */
  synchronized boolean release() {
    return --users <= 0;
  }

  /** Opens idle streams up to the target. Called when a session registers, and after a stream was used. */
  void refill() {
    int toOpen;
    synchronized (this) {
      if (closed) {
        return;
      }
      toOpen = Math.max(0, target - idle);
      idle += toOpen;
    }
    for (int i = 0; i < toOpen; i++) {
      openIdleStream();
    }
  }

  /**
   * The agent has exchanges waiting: open {@code n} more streams now, and keep that many more idle from now on,
   * so the next burst of that size finds them (64 concurrent requests against 8 idle streams made most of them
   * wait for one: a round trip to the daemon each).
   */
  void demand(int n) {
    synchronized (this) {
      if (closed) {
        return;
      }
      idle += n;
      target = Math.min(MAX_IDLE_TARGET, target + n);
    }
    for (int i = 0; i < n; i++) {
      openIdleStream();
    }
  }

  private void openIdleStream() {
    LocalExchange exchange = new LocalExchange(this, targets, group);
    Context.ROOT.run(() -> stub.exchange(exchange)); // lives independently of whatever call triggered the refill
    exchange.offer(ExchangeFrame.newBuilder().setOffer(Offer.newBuilder().setClientId(clientId)).build());
  }

  /** An idle stream got its request: it is no longer idle; replace it. */
  void streamUsed() {
    synchronized (this) {
      idle--;
    }
    refill();
  }

  /** An idle stream died (the agent went away): refill later, with the gRPC channel's own reconnect. */
  void idleStreamFailed() {
    synchronized (this) {
      idle--;
      if (closed || refillScheduled) {
        return;
      }
      refillScheduled = true;
    }
    scheduler.schedule(() -> {
      synchronized (this) {
        refillScheduled = false;
      }
      refill();
    }, 1, TimeUnit.SECONDS);
  }

  synchronized int idleStreams() {
    return idle;
  }

  synchronized int idleTarget() {
    return target;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    logger.fine(() -> "closed tunnel to " + address);
  }
}

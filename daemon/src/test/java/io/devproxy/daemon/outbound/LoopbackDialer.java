package io.devproxy.daemon.outbound;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Dialer} for tests that "dials from the cluster" by connecting to loopback servers: names map to
 * local addresses, so a test sees which name the proxy passed on (unresolved) and reaches a real server. An
 * unknown name fails with {@link DialException.Kind#UNRESOLVED}, like the cluster's DNS. The relay of
 * {@link DialedConnection#attach} forwards both ways with backpressure (the next read only after the write
 * succeeded) and passes half-closes on; it checks the attach contract and records violations.
 *
 * <p>Thread-safe.
 */
final class LoopbackDialer implements Dialer {

  private final EventLoopGroup group;
  private final Map<String, InetSocketAddress> names = new ConcurrentHashMap<>();
  private final Map<String, DialException> failures = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Void>> gates = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<DialedConnection>> manual = new ConcurrentHashMap<>();
  private final List<String> dials = new CopyOnWriteArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();

  LoopbackDialer(EventLoopGroup group) {
    this.group = group;
  }

  /** Dials of {@code host} connect to {@code address}. */
  LoopbackDialer map(String host, InetSocketAddress address) {
    names.put(host, address);
    return this;
  }

  /** Dials of {@code host} fail with {@code failure}. */
  LoopbackDialer fail(String host, DialException failure) {
    failures.put(host, failure);
    return this;
  }

  /** Dials of {@code host} (which must be mapped) connect only once the returned future is completed. */
  CompletableFuture<Void> hold(String host) {
    return gates.computeIfAbsent(host, h -> new CompletableFuture<>());
  }

  /** Dials of {@code host} return the returned future, which the test completes. */
  CompletableFuture<DialedConnection> manual(String host) {
    return manual.computeIfAbsent(host, h -> new CompletableFuture<>());
  }

  /** Every dial so far, as {@code host:port} with the host exactly as the proxy passed it. */
  List<String> dials() {
    return List.copyOf(dials);
  }

  /** Breaches of the attach contract seen so far. */
  List<String> violations() {
    return List.copyOf(violations);
  }

  @Override
  public CompletableFuture<DialedConnection> dial(String host, int port) {
    dials.add(host + ":" + port);
    CompletableFuture<DialedConnection> manualDial = manual.get(host);
    if (manualDial != null) {
      return manualDial;
    }
    DialException failure = failures.get(host);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    InetSocketAddress address = names.get(host);
    if (address == null) {
      return CompletableFuture.failedFuture(new DialException(DialException.Kind.UNRESOLVED,
          "cannot resolve " + host + ": no such host"));
    }
    return gates.getOrDefault(host, CompletableFuture.completedFuture(null)).thenCompose(v -> connect(address));
  }

  @Override
  public String via() {
    return "loopback";
  }

  private CompletableFuture<DialedConnection> connect(InetSocketAddress address) {
    CompletableFuture<DialedConnection> result = new CompletableFuture<>();
    ChannelFuture connected = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(new ChannelInboundHandlerAdapter())
        .connect(address);
    connected.addListener(f -> {
      if (f.isSuccess()) {
        result.complete(new Connection(connected.channel()));
      } else {
        result.completeExceptionally(new DialException(DialException.Kind.REFUSED,
            "cannot connect to " + address + ": " + f.cause().getMessage()));
      }
    });
    return result;
  }

  private final class Connection implements DialedConnection {
    private final Channel remote;
    private boolean used;

    Connection(Channel remote) {
      this.remote = remote;
    }

    @Override
    public String remoteAddress() {
      InetSocketAddress address = (InetSocketAddress) remote.remoteAddress();
      return address.getHostString() + ":" + address.getPort();
    }

    @Override
    public synchronized void attach(Channel socket) {
      if (used) {
        violations.add("attach after attach or abort");
      }
      used = true;
      if (socket.config().isAutoRead()) {
        violations.add("attached with auto-read on");
      }
      if (!socket.pipeline().toMap().isEmpty()) {
        violations.add("attached with handlers " + socket.pipeline().names());
      }
      socket.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      socket.pipeline().addLast(new Relay(remote));
      remote.pipeline().addLast(new Relay(socket));
      socket.read();
      remote.read();
    }

    @Override
    public synchronized void abort() {
      if (used) {
        violations.add("abort after attach or abort");
      }
      used = true;
      remote.close();
    }
  }

  /** Forwards what its channel reads to the peer; reads again once the write went through. */
  private static final class Relay extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    Relay(Channel peer) {
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      peer.writeAndFlush(msg).addListener(f -> {
        if (f.isSuccess()) {
          ctx.channel().read();
        } else {
          ctx.close();
          peer.close();
        }
      });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        // Behind the writes already queued: shutting down output fails writes still pending.
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
          SocketChannel out = (SocketChannel) peer;
          out.shutdownOutput().addListener(s -> closeIfDone(out));
          closeIfDone((SocketChannel) ctx.channel());
        });
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private static void closeIfDone(SocketChannel channel) {
      if (channel.isInputShutdown() && channel.isOutputShutdown()) {
        channel.close();
      }
    }
  }
}

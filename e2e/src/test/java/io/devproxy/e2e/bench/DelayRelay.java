package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.netty.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A slow link on loopback: a TCP relay to {@code target} that delivers every byte, and each direction's end
 * (half-close), {@code oneWayDelay} after it arrived, in order, so a round trip through it takes at least twice that.
 * Bandwidth is not limited, but what is in flight per direction is ({@value #IN_FLIGHT_LIMIT} bytes): past that the
 * relay stops reading the sender until half of it has been delivered, so a fast sender meets TCP's flow control as
 * it would on a real link, rather than filling this process's memory.
 *
 * <p>Both sides of a relayed connection live on one event loop; the delayed writes are tasks scheduled on it, which
 * run in order. {@link #close()} closes the listener and every relayed connection.
 */
final class DelayRelay implements AutoCloseable {

  static final int IN_FLIGHT_LIMIT = 8 << 20;

  private final EventLoopGroup group;
  private final Channel listener;
  private final long delayNanos;

  private DelayRelay(EventLoopGroup group, Channel listener, long delayNanos) {
    this.group = group;
    this.listener = listener;
    this.delayNanos = delayNanos;
  }

  /** Listens on a free loopback port. */
  static DelayRelay start(InetSocketAddress target, Duration oneWayDelay) throws InterruptedException {
    requireNonNull(target, "target");
    if (oneWayDelay.isNegative()) {
      throw new IllegalArgumentException("oneWayDelay " + oneWayDelay + " (expected: zero or more)");
    }
    EventLoopGroup group = EventLoops.newGroup("delay-relay", 1);
    long delayNanos = oneWayDelay.toNanos();
    try {
      Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel inbound) {
              connect(inbound, target, delayNanos);
            }
          })
          .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
      return new DelayRelay(group, listener, delayNanos);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  Duration oneWayDelay() {
    return Duration.ofNanos(delayNanos);
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static void connect(SocketChannel inbound, InetSocketAddress target, long delayNanos) {
    new Bootstrap().group(inbound.eventLoop()).channel(NioSocketChannel.class)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInboundHandlerAdapter())
        .connect(target)
        .addListener((ChannelFutureListener) connected -> {
          if (!connected.isSuccess()) {
            inbound.close();
            return;
          }
          Channel outbound = connected.channel();
          inbound.pipeline().addLast(new Direction(outbound, delayNanos));
          outbound.pipeline().addLast(new Direction(inbound, delayNanos));
          inbound.read();
          outbound.read();
        });
  }

  /** Reads one side and writes what it read to the other side, later. */
  private static final class Direction extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final long delayNanos;
    private long inFlight;
    private boolean paused;

    Direction(Channel peer, long delayNanos) {
      this.peer = peer;
      this.delayNanos = delayNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf bytes = (ByteBuf) msg;
      int size = bytes.readableBytes();
      inFlight += size;
      later(ctx, () -> peer.writeAndFlush(bytes).addListener(written -> {
        inFlight -= size;
        if (!written.isSuccess()) {
          ctx.close();
        } else if (paused && inFlight <= IN_FLIGHT_LIMIT / 2) {
          paused = false;
          ctx.read();
        }
      }));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (inFlight > IN_FLIGHT_LIMIT) {
        paused = true;
      } else {
        ctx.read();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        later(ctx, () -> {
          DuplexChannel duplex = (DuplexChannel) peer;
          if (duplex.isActive()) {
            duplex.shutdownOutput().addListener(shut -> closeWhenBothWaysEnded(duplex));
          }
        });
        closeWhenBothWaysEnded((DuplexChannel) ctx.channel());
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      later(ctx, () -> peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private static void closeWhenBothWaysEnded(DuplexChannel channel) {
      if (channel.isInputShutdown() && channel.isOutputShutdown()) {
        channel.close();
      }
    }

    private void later(ChannelHandlerContext ctx, Runnable task) {
      ctx.executor().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }
  }
}

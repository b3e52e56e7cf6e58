package io.devproxy.daemon.outbound;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** Binds the listeners of the outbound proxy and the forwards. */
final class LoopbackListeners {

  private LoopbackListeners() {}

  /**
   * Binds {@code address} on {@code group}, which also runs the accepted connections; they start with auto-read
   * off (their handlers read when they are ready for bytes). Each accepted connection joins {@code connections},
   * then {@code handlers} fills its pipeline. Blocks until bound: do not call on an event loop.
   *
   * @param connections closed by the owner on close; a group that was closed closes what joins it later, so a
   *     connection accepted during the owner's close does not outlive it
   * @return the listening channel
   * @throws BindFailure when the address cannot be bound, with the reason, e.g. {@code Address already in use}
   */
  static Channel bind(EventLoopGroup group, InetSocketAddress address, ChannelGroup connections,
      Consumer<ChannelPipeline> handlers) throws BindFailure {
    ChannelFuture bound = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            connections.add(channel);
            handlers.accept(channel.pipeline());
          }
        })
        .bind(address)
        .awaitUninterruptibly();
    if (!bound.isSuccess()) {
      throw new BindFailure(bound.cause());
    }
    return bound.channel();
  }

  /** Why a listener could not be bound; its message is the system's reason. */
  static final class BindFailure extends Exception {
    private static final long serialVersionUID = 1L;

    BindFailure(Throwable cause) {
      super(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
    }

    /** Whether another socket holds the port. */
    boolean inUse() {
      return getCause() instanceof BindException && String.valueOf(getMessage()).contains("in use");
    }
  }
}

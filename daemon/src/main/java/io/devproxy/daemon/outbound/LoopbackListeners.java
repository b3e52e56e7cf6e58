package io.devproxy.daemon.outbound;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.BindException;
import java.net.InetSocketAddress;

/** Binds the listeners of the outbound proxy and the forwards. */
final class LoopbackListeners {

  private LoopbackListeners() {}

  /**
   * Binds {@code address} on {@code group}, which also runs the accepted connections; they start with auto-read
   * off (their handlers read when they are ready for bytes). Blocks until bound: do not call on an event loop.
   *
   * @return the listening channel
   * @throws BindFailure when the address cannot be bound, with the reason, e.g. {@code Address already in use}
   */
  static Channel bind(EventLoopGroup group, InetSocketAddress address, ChannelHandler childHandler)
      throws BindFailure {
    ChannelFuture bound = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(childHandler)
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

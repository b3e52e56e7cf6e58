package io.devproxy.agent.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The agent's small admin port: probes and metrics. Uses the caller's event loops; does not own them. */
public final class AdminServer implements AutoCloseable {

  private final Channel channel;

  private AdminServer(Channel channel) {
    this.channel = channel;
  }

  public static AdminServer start(InetSocketAddress address, EventLoopGroup group, BooleanSupplier ready,
      Supplier<String> metrics) throws InterruptedException {
    Channel channel = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192), new HttpObjectAggregator(8192),
                new AdminHandler(ready, metrics));
          }
        })
        .bind(address).sync().channel();
    return new AdminServer(channel);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}

package io.devproxy.daemon.outbound;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import java.time.Duration;

/**
 * The pipeline of a connection to the outbound proxy: a deadline for the handshake and the protocol detector,
 * which installs the SOCKS5 or HTTP handlers. Every connection joins {@code connections}, which the proxy
 * closes on close.
 *
 * <p>Thread-safe: shared by all of the proxy's connections.
 */
final class OutboundProxyInitializer extends ChannelInitializer<SocketChannel> {

  private final Dialer dialer;
  private final ChannelGroup connections;
  private final Duration handshakeTimeout;

  OutboundProxyInitializer(Dialer dialer, ChannelGroup connections, Duration handshakeTimeout) {
    this.dialer = dialer;
    this.connections = connections;
    this.handshakeTimeout = handshakeTimeout;
  }

  @Override
  protected void initChannel(SocketChannel channel) {
    // A group that was closed closes what joins it later: a connection accepted during close() does not outlive it.
    connections.add(channel);
    channel.pipeline().addLast(new HandshakeTimeoutHandler(handshakeTimeout), new ProxyProtocolDetector(dialer));
  }
}

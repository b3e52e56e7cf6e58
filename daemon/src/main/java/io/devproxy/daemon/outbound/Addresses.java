package io.devproxy.daemon.outbound;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Addresses as the proxy's messages and log lines show them: {@code host:port}, IPv6 in brackets. */
final class Addresses {

  private Addresses() {}

  /** {@code host:port}, an IPv6 literal in brackets. */
  static String target(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** The channel's peer, e.g. {@code 127.0.0.1:51234}. */
  static String client(Channel channel) {
    return show(channel.remoteAddress());
  }

  /** The address the channel was accepted on, e.g. {@code 127.0.0.1:1080}. */
  static String local(Channel channel) {
    return show(channel.localAddress());
  }

  private static String show(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return target(inet.getAddress().getHostAddress(), inet.getPort());
    }
    return String.valueOf(address);
  }
}

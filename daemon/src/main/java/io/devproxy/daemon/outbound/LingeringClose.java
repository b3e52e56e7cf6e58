package io.devproxy.daemon.outbound;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Ends a connection with a final reply so that the client gets to read it: write the reply, shut down output
 * (the client sees the end), keep reading and discarding what the client still sends until it closes, at most
 * {@link #LINGER}. Closing at once would make the kernel answer unread request bytes with a reset, which can
 * destroy the reply before the client reads it (RFC 9112 section 9.6). The calling handler discards what it
 * reads and asks for more in {@code channelReadComplete}.
 */
final class LingeringClose {

  static final Duration LINGER = Duration.ofSeconds(2);

  private LingeringClose() {}

  /** Writes {@code reply} and closes as described above. Call on the channel's event loop. */
  static void closeAfter(ChannelHandlerContext ctx, Object reply) {
    Channel channel = ctx.channel();
    ctx.writeAndFlush(reply).addListener(written -> {
      if (!written.isSuccess() || !(channel instanceof SocketChannel socket)) {
        channel.close();
        return;
      }
      socket.shutdownOutput();
      channel.read();
      Runnable close = channel::close;
      channel.eventLoop().schedule(close, LINGER.toMillis(), TimeUnit.MILLISECONDS);
    });
  }
}

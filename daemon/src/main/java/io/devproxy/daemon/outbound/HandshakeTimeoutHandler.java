package io.devproxy.daemon.outbound;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Closes a proxy connection whose client has not finished its request (SOCKS5 greeting and command, or HTTP
 * request head) within the timeout, counted from accept: a silent or dribbling client cannot hold a
 * connection open. {@link PendingDialHandler} removes it when the dial starts, which its own timeout bounds.
 *
 * <p>Not thread-safe: runs on its channel's event loop.
 */
final class HandshakeTimeoutHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(HandshakeTimeoutHandler.class.getName());

  private final Duration timeout;
  private ScheduledFuture<?> task;

  HandshakeTimeoutHandler(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      schedule(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    schedule(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (task != null) {
      task.cancel(false);
    }
  }

  private void schedule(ChannelHandlerContext ctx) {
    if (task != null) {
      return;
    }
    task = ctx.executor().schedule(() -> {
      logger.fine(() -> "outbound: closing " + Addresses.client(ctx.channel()) + ", no proxy request within "
          + timeout.toMillis() + " ms");
      ctx.close();
    }, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }
}

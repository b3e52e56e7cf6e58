package io.devproxy.tunnel.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last handler of a channel that carries {@link HttpObject}s: forwards its events to the {@link
 * ChannelEvents} that currently owns the channel. Without an owner, messages are dropped (released) and the
 * channel is closed, as nothing should arrive on an idle connection.
 *
 * <p>Event-loop confined, like every handler; {@link #owner(ChannelEvents)} must be called on the loop.
 */
public final class ChannelEventsHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(ChannelEventsHandler.class.getName());

  private ChannelEvents owner;
  private boolean closed;

  public ChannelEventsHandler() {}

  public ChannelEventsHandler(ChannelEvents owner) {
    this.owner = owner;
  }

  /** Hands the channel's events to {@code owner} (null: nobody). Event loop only. */
  public void owner(ChannelEvents owner) {
    this.owner = owner;
    if (closed && owner != null) {
      owner.onChannelReset(Http2Error.CANCEL.code());
    }
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ChannelEvents current = owner;
    if (current != null && msg instanceof HttpObject http) {
      current.onChannelRead(http);
      return;
    }
    ReferenceCountUtil.release(msg);
    if (current == null) {
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ChannelEvents current = owner;
    if (current != null && ctx.channel().isWritable()) {
      current.onChannelWritable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame reset) {
      reset(reset.errorCode());
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    reset(Http2Error.CANCEL.code());
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (NetworkErrors.isExpected(cause)) {
      logger.log(Level.FINE, "connection error on " + ctx.channel(), cause);
    } else {
      logger.log(Level.WARNING, "unexpected error on " + ctx.channel() + ": " + cause);
      logger.log(Level.FINE, "stack", cause);
    }
    ctx.close();
  }

  private void reset(long code) {
    if (closed) {
      return;
    }
    closed = true;
    ChannelEvents current = owner;
    if (current != null) {
      current.onChannelReset(code);
    }
  }
}

package io.devproxy.agent.front;

import io.devproxy.tunnel.netty.ChannelEventsHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * An HTTP/2 caller's stream (a child channel with AUTO_READ off): reads the request head, starts the exchange
 * and hands the stream's further events to it. Replaced by a {@link ChannelEventsHandler} once started.
 */
final class Http2StreamFrontHandler extends ChannelInboundHandlerAdapter {

  private final AgentContext context;

  Http2StreamFrontHandler(AgentContext context) {
    this.context = context;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpRequest request)) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    FrontExchange exchange = new FrontExchange(context, ctx.channel(), true, clean -> {
      if (!clean) {
        ctx.channel().close(); // resets the stream if it is still open
      }
    });
    ctx.pipeline().replace(this, "exchange", new ChannelEventsHandler(exchange));
    exchange.start(request);
  }
}

package io.devproxy.agent.front;

import io.devproxy.tunnel.netty.NetworkErrors;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Last on a caller's connection, where errors the HTTP/2 codec passes on arrive once the connection speaks
 * HTTP/2 (over HTTP/1.1, {@link Http1FrontHandler} handles them). A caller's protocol error has already been
 * answered with a GOAWAY and the codec closes the connection: it is the caller's problem, logged at debug,
 * not as a stack trace at warning by Netty's pipeline tail.
 */
final class CallerErrorHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(CallerErrorHandler.class.getName());

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2Exception) {
      // The codec sent GOAWAY and closes once it is written; closing here could cut it off.
      logger.log(Level.FINE, "caller " + ctx.channel().remoteAddress() + " broke the HTTP/2 protocol", cause);
      return;
    }
    if (NetworkErrors.isExpected(cause)) {
      logger.log(Level.FINE, "caller connection error", cause);
    } else {
      logger.log(Level.WARNING, "caller connection " + ctx.channel().remoteAddress() + " failed: " + cause);
    }
    ctx.close();
  }
}

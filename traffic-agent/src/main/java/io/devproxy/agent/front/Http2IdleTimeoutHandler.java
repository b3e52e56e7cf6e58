package io.devproxy.agent.front;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Closes an HTTP/2 caller connection that has had no open stream for {@link CallerTimeouts#idle()}, whatever
 * else it sends (PINGs, SETTINGS, WINDOW_UPDATEs do not keep it open, as with Envoy's {@code idle_timeout}). The
 * close goes through the HTTP/2 codec, which sends {@code GOAWAY NO_ERROR} first. Confined to the event loop.
 */
final class Http2IdleTimeoutHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(Http2IdleTimeoutHandler.class.getName());

  private final Http2Connection connection;
  private final Duration idle;
  private ChannelHandlerContext ctx;
  private Deadline deadline;

  Http2IdleTimeoutHandler(Http2Connection connection, Duration idle) {
    this.connection = connection;
    this.idle = idle;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.deadline = new Deadline(ctx.executor(), idle, this::expired);
    connection.addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamActive(Http2Stream stream) {
        deadline.disarm();
      }

      @Override
      public void onStreamClosed(Http2Stream stream) {
        if (connection.numActiveStreams() == 0 && ctx.channel().isActive()) {
          deadline.arm(idle);
        }
      }
    });
    if (connection.numActiveStreams() == 0) {
      deadline.arm(idle);
    }
  }

  private void expired() {
    if (connection.numActiveStreams() == 0 && ctx.channel().isActive()) {
      logger.fine(() -> "closing HTTP/2 caller connection " + ctx.channel().remoteAddress() + ": no stream for "
          + idle);
      ctx.channel().close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    deadline.cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    deadline.cancel();
  }
}

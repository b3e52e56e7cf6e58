package io.devproxy.agent.front;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * The {@link CallerTimeouts} of an HTTP/1.1 connection. Sits before the HTTP codec, where it sees the first byte
 * of a request head; {@link Http1FrontHandler} tells it when a head has been decoded ({@link #exchangeStarted})
 * and when the connection waits for the next request ({@link #awaitRequest}). No timer runs while an exchange is
 * in progress. Removed (timer cancelled) when the connection switches to HTTP/2. Confined to the event loop.
 */
final class Http1TimeoutHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(Http1TimeoutHandler.class.getName());

  private enum Phase {
    /** Keep-alive, between a response and the next request's first byte. */
    IDLE,
    /** Waiting for the end of a request head. */
    HEAD,
    EXCHANGE
  }

  private final CallerTimeouts timeouts;
  private ChannelHandlerContext ctx;
  private Phase phase = Phase.HEAD;
  /** Whether some of the awaited head has arrived (then the caller gets a 408 rather than a silent close). */
  private boolean headStarted;
  private Deadline deadline;

  Http1TimeoutHandler(CallerTimeouts timeouts) {
    this.timeouts = timeouts;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    Duration shortest = timeouts.requestHead().compareTo(timeouts.idle()) < 0 ? timeouts.requestHead() : timeouts.idle();
    this.deadline = new Deadline(ctx.executor(), shortest, this::expired);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // A new connection owes a request head from its first moment, as with HAProxy's timeout http-request.
    deadline.arm(timeouts.requestHead());
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
      if (phase == Phase.IDLE) {
        phase = Phase.HEAD;
        deadline.arm(timeouts.requestHead());
      }
      if (phase == Phase.HEAD) {
        headStarted = true;
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** A request head has been decoded: no bound until the exchange is over. */
  void exchangeStarted() {
    phase = Phase.EXCHANGE;
    deadline.disarm();
  }

  /** The exchange is over and the connection stays open for the next request. */
  void awaitRequest() {
    phase = Phase.IDLE;
    headStarted = false;
    deadline.arm(timeouts.idle());
  }

  private void expired() {
    if (phase == Phase.EXCHANGE || !ctx.channel().isActive()) {
      return;
    }
    if (phase == Phase.HEAD && headStarted) {
      logger.fine(() -> "request head from " + ctx.channel().remoteAddress() + " not complete after "
          + timeouts.requestHead() + ": 408, closing");
      byte[] body = ("devproxy: request timeout: the request head did not arrive within " + timeouts.requestHead()
          .toMillis() + " ms\n").getBytes(StandardCharsets.UTF_8);
      // Written below the HTTP codec, which holds a partial request: raw bytes.
      String head = "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: "
          + body.length + "\r\nconnection: close\r\n\r\n";
      ctx.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      logger.fine(() -> "closing idle caller connection " + ctx.channel().remoteAddress());
      ctx.close();
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

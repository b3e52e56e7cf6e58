package io.devproxy.agent.front;

import io.devproxy.agent.admin.AgentMetrics.Route;
import io.devproxy.tunnel.netty.NetworkErrors;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An HTTP/1.1 caller's connection: one exchange at a time (AUTO_READ off; the next request is read only after
 * the previous exchange ended, which also serializes pipelined requests). Removes itself when the connection
 * switches to HTTP/2 (prior knowledge or {@code Upgrade: h2c}).
 */
final class Http1FrontHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(Http1FrontHandler.class.getName());

  private final AgentContext context;
  private final Http1TimeoutHandler timeouts;
  private FrontExchange current;
  private boolean keepAlive;
  /** Whether the current exchange's request has been read to its end. */
  private boolean requestRead;
  /** What arrived after the current request (the next, pipelined one): handled when the exchange is over. */
  private final ArrayDeque<HttpObject> next = new ArrayDeque<>();

  Http1FrontHandler(AgentContext context, Http1TimeoutHandler timeouts) {
    this.context = context;
    this.timeouts = timeouts;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject http)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (current != null) {
      if (requestRead) {
        next.add(http); // read ahead by an exchange that asked for more body: keep it for after this one
        return;
      }
      requestRead = msg instanceof LastHttpContent;
      current.onChannelRead(http);
      return;
    }
    startExchange(ctx, http);
  }

  private void startExchange(ChannelHandlerContext ctx, HttpObject msg) {
    if (!(msg instanceof HttpRequest request)) {
      if (msg instanceof LastHttpContent) {
        timeouts.awaitRequest();
      }
      ReferenceCountUtil.release(msg); // the tail of a request we already answered
      ctx.read();
      return;
    }
    timeouts.exchangeStarted();
    DecoderResult result = request.decoderResult();
    if (result.isFailure()) {
      ReferenceCountUtil.release(msg);
      rejectMalformed(ctx, result.cause());
      return;
    }
    keepAlive = HttpUtil.isKeepAlive(request);
    requestRead = msg instanceof LastHttpContent;
    FrontExchange exchange = new FrontExchange(context, ctx.channel(), false, clean -> exchangeDone(ctx, clean));
    current = exchange;
    exchange.start(request);
  }

  private void exchangeDone(ChannelHandlerContext ctx, boolean clean) {
    current = null;
    if (!clean || !keepAlive || !ctx.channel().isActive()) {
      releaseNext();
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (requestRead) {
      // Otherwise the rest of the answered request is still to be read and discarded: idle once it is.
      timeouts.awaitRequest();
    }
    if (next.isEmpty()) {
      ctx.read();
      return;
    }
    // Replay what was read ahead; a new exchange starts with the first of it and may queue the rest again.
    ArrayDeque<HttpObject> readAhead = new ArrayDeque<>(next);
    next.clear();
    HttpObject msg;
    while ((msg = readAhead.poll()) != null) {
      channelRead(ctx, msg);
    }
  }

  private void releaseNext() {
    HttpObject msg;
    while ((msg = next.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }

  private void rejectMalformed(ChannelHandlerContext ctx, Throwable cause) {
    context.metrics().request(Route.BAD_REQUEST);
    HttpResponseStatus status;
    if (cause instanceof TooLongHttpHeaderException) {
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    } else if (cause instanceof TooLongHttpLineException) {
      status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
    } else if (cause instanceof TooLongFrameException) {
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    } else {
      status = HttpResponseStatus.BAD_REQUEST;
    }
    logger.fine(() -> "rejecting malformed request from " + ctx.channel().remoteAddress() + ": " + cause);
    byte[] body = ("devproxy: " + status.reasonPhrase().toLowerCase() + ": " + cause.getMessage() + "\n")
        .getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().set(HttpHeaderNames.CONNECTION, "close");
    HttpUtil.setContentLength(response, body.length);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null && ctx.channel().isWritable()) {
      current.onChannelWritable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseNext();
    if (current != null) {
      current.onChannelReset(io.netty.handler.codec.http2.Http2Error.CANCEL.code());
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent
        || evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent) {
      // The connection now carries HTTP/2 frames: the codec must read freely; streams apply flow control.
      ctx.channel().config().setAutoRead(true);
      ctx.pipeline().remove(timeouts);
      ctx.pipeline().remove(this);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (NetworkErrors.isExpected(cause)) {
      logger.log(Level.FINE, "caller connection error", cause);
    } else {
      logger.log(Level.WARNING, "caller connection " + ctx.channel().remoteAddress() + " failed: " + cause);
    }
    ctx.close();
  }
}

package io.devproxy.e2e.bench;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection of {@link OpenLoopLoad}: sends one request at a time when the load hands it
 * one, and reports the answer (or the connection's loss) back. Runs on the load's single event loop only.
 */
final class LoadClientHandler extends SimpleChannelInboundHandler<FullHttpResponse> {

  private final OpenLoopLoad load;
  private final String path;
  private final Map<String, String> headers;
  private final String expectServedBy;
  private ChannelHandlerContext ctx;
  /** The intended send time of the request in flight; -1 when idle. */
  private long intended = -1;

  LoadClientHandler(OpenLoopLoad load, String path, Map<String, String> headers, String expectServedBy) {
    this.load = load;
    this.path = path;
    this.headers = headers;
    this.expectServedBy = expectServedBy;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    load.connected(this);
  }

  void send(long intendedNanos) {
    intended = intendedNanos;
    FullHttpRequest request =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
    request.headers().set(HttpHeaderNames.HOST, "agent");
    headers.forEach(request.headers()::set);
    ctx.writeAndFlush(request).addListener(f -> {
      if (!f.isSuccess()) {
        ctx.close();
      }
    });
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
    long sent = intended;
    intended = -1;
    String servedBy = response.headers().get("x-served-by");
    if (response.status().code() != 200) {
      load.answered(this, sent, "status " + response.status().code() + " from " + servedBy);
    } else if (!expectServedBy.equals(servedBy)) {
      load.answered(this, sent, "served by " + servedBy + " (expected: " + expectServedBy + ")");
    } else {
      load.answered(this, sent, null);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    load.lost(this, intended);
    intended = -1;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    load.error("connection: " + cause);
    ctx.close();
  }
}

package io.devproxy.agent.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** {@code GET /healthz}, {@code /readyz} and {@code /metrics} (Prometheus text format 0.0.4). */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private final BooleanSupplier ready;
  private final Supplier<String> metrics;

  AdminHandler(BooleanSupplier ready, Supplier<String> metrics) {
    this.ready = ready;
    this.metrics = metrics;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    String path = request.uri();
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    FullHttpResponse response;
    if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
      response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET only\n", "text/plain");
    } else {
      response = switch (path) {
        case "/healthz" -> text(HttpResponseStatus.OK, "ok\n", "text/plain");
        case "/readyz" -> ready.getAsBoolean()
            ? text(HttpResponseStatus.OK, "ready\n", "text/plain")
            : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n", "text/plain");
        case "/metrics" -> text(HttpResponseStatus.OK, metrics.get(), "text/plain; version=0.0.4; charset=utf-8");
        default -> text(HttpResponseStatus.NOT_FOUND, "try /healthz, /readyz or /metrics\n", "text/plain");
      };
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpUtil.setKeepAlive(response, keepAlive);
    var write = ctx.writeAndFlush(response);
    if (!keepAlive) {
      write.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static FullHttpResponse text(HttpResponseStatus status, String body, String type) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    HttpUtil.setContentLength(response, bytes.length);
    return response;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}

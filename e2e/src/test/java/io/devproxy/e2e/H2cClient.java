package io.devproxy.e2e;

import io.devproxy.tunnel.netty.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A bare h2c (prior knowledge) client on one connection, for what the usual clients refuse to send: its
 * encoder ignores the server's SETTINGS_MAX_HEADER_LIST_SIZE, so a test can send an oversized header block.
 * Each {@link #get} is a new stream on the same connection. Owns its event loop.
 */
final class H2cClient implements AutoCloseable {

  /** How a stream ended: a response (status, body) or a reset (its HTTP/2 error code). */
  record Response(int status, Http2Headers headers, String body, Long resetCode) {}

  private final EventLoopGroup group = EventLoops.newGroup("test-h2c-client", 1);
  private final Channel channel;
  private final CompletableFuture<Long> goAway = new CompletableFuture<>();
  private final String authority;

  H2cClient(InetSocketAddress address) throws InterruptedException {
    authority = "127.0.0.1:" + address.getPort();
    channel = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(
                Http2FrameCodecBuilder.forClient()
                    .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(1024 * 1024))
                    .encoderIgnoreMaxHeaderListSize(true)
                    .build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2GoAwayFrame frame) {
                      goAway.complete(frame.errorCode());
                    }
                    ReferenceCountUtil.release(msg);
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    goAway.completeExceptionally(new IOException("closed without GOAWAY"));
                    ctx.fireChannelInactive();
                  }
                });
          }
        })
        .connect(address).sync().channel();
  }

  /** GET {@code path} with extra headers (name, value, ...) on a new stream. */
  CompletableFuture<Response> get(String path, String... headers) {
    Http2Headers request = new DefaultHttp2Headers()
        .method("GET").scheme("http").authority(authority).path(path);
    for (int i = 0; i < headers.length; i += 2) {
      request.add(headers[i], headers[i + 1]);
    }
    CompletableFuture<Response> response = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(channel).handler(new StreamHandler(response)).open().addListener(f -> {
      if (!f.isSuccess()) {
        response.completeExceptionally(f.cause());
        return;
      }
      Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
      stream.writeAndFlush(new DefaultHttp2HeadersFrame(request, true)).addListener(w -> {
        if (!w.isSuccess()) {
          response.completeExceptionally(w.cause());
        }
      });
    });
    return response;
  }

  /** GET and wait (10 s). */
  Response send(String path, String... headers) throws Exception {
    return get(path, headers).get(10, TimeUnit.SECONDS);
  }

  boolean isOpen() {
    return channel.isActive();
  }

  /** Completes with the error code of the GOAWAY the server sent (fails if it closed without one). */
  CompletableFuture<Long> goAway() {
    return goAway;
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final class StreamHandler extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Response> response;
    private final StringBuilder body = new StringBuilder();
    private Http2Headers headers;

    StreamHandler(CompletableFuture<Response> response) {
      this.response = response;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame) {
          if (headers == null) {
            headers = frame.headers();
          }
          if (frame.isEndStream()) {
            complete();
          }
        } else if (msg instanceof Http2DataFrame frame) {
          body.append(frame.content().toString(StandardCharsets.UTF_8));
          if (frame.isEndStream()) {
            complete();
          }
        } else if (msg instanceof Http2ResetFrame reset) {
          response.complete(new Response(headers == null ? 0 : status(), headers, body.toString(), reset.errorCode()));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private int status() {
      return Integer.parseInt(headers.status().toString());
    }

    private void complete() {
      response.complete(new Response(status(), headers, body.toString(), null));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      response.completeExceptionally(new IOException("stream closed before its response ended"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      response.completeExceptionally(cause);
      ctx.close();
    }
  }
}

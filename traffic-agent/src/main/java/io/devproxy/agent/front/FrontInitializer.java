package io.devproxy.agent.front;

import io.devproxy.tunnel.netty.Flushes;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;

/**
 * The pipeline of a caller's connection on the agent's service port: HTTP/1.1 and h2c on the same port, h2c
 * both by prior knowledge and by {@code Upgrade: h2c}. Every HTTP/2 stream becomes a child channel that
 * carries HttpObjects, so routing and relaying code is the same for both protocols.
 *
 * <p>Limits: request line 8 KiB, header block 64 KiB (HTTP/1.1: 431; HTTP/2: SETTINGS_MAX_HEADER_LIST_SIZE); the
 * {@link CallerTimeouts} (request head, idle connection); HTTP/2: at most {@value #MAX_RST_FRAMES_PER_WINDOW}
 * RST_STREAMs received per {@value #RST_WINDOW_SECONDS} s (rapid reset, CVE-2023-44487) and
 * {@value #MAX_QUEUED_CONTROL_FRAMES} control frames (SETTINGS and PING acknowledgements) waiting for a caller
 * that does not read, each answered with {@code GOAWAY ENHANCE_YOUR_CALM}.
 *
 * <p>Flushes are consolidated ({@link Flushes#consolidated()}).
 */
public final class FrontInitializer extends ChannelInitializer<Channel> {

  static final int MAX_INITIAL_LINE = 8 * 1024;
  static final int MAX_HEADER_BYTES = 64 * 1024;
  static final int MAX_UPGRADE_BODY = 64 * 1024;
  private static final int STREAM_WINDOW = 1024 * 1024;
  private static final long MAX_CONCURRENT_STREAMS = 4096;
  // Netty's defaults for a server, stated so that a Netty upgrade cannot change them unnoticed.
  static final int MAX_RST_FRAMES_PER_WINDOW = 200;
  static final int RST_WINDOW_SECONDS = 30;
  static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;
  private static final String CALLER_ERRORS = "caller-errors";

  private final AgentContext context;
  private final CallerTimeouts timeouts;

  public FrontInitializer(AgentContext context, CallerTimeouts timeouts) {
    this.context = context;
    this.timeouts = timeouts;
  }

  @Override
  protected void initChannel(Channel ch) {
    HttpServerCodec http1 = new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 64 * 1024);
    HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
        AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
            ? newUpgradeCodec()
            : null, MAX_UPGRADE_BODY) {
      @Override
      protected boolean shouldHandleUpgradeRequest(HttpRequest request) {
        // Upgrading means buffering the whole request: only for bodies that are small and of known length.
        // A larger one is served over HTTP/1.1 (the Upgrade header is optional for the server, RFC 9110 7.8).
        if (HttpUtil.isTransferEncodingChunked(request)) {
          return false;
        }
        return HttpUtil.getContentLength(request, 0L) <= MAX_UPGRADE_BODY && super.shouldHandleUpgradeRequest(request);
      }
    };
    CleartextHttp2ServerUpgradeHandler cleartext = new CleartextHttp2ServerUpgradeHandler(http1, upgrade,
        new PriorKnowledgeInitializer());
    ChannelPipeline pipeline = ch.pipeline();
    pipeline.addLast(Flushes.consolidated());
    Http1TimeoutHandler http1Timeouts = new Http1TimeoutHandler(timeouts);
    pipeline.addLast(http1Timeouts);
    pipeline.addLast(cleartext);
    pipeline.addLast(new HttpServerExpectContinueHandler());
    pipeline.addLast(new Http1FrontHandler(context, http1Timeouts));
    pipeline.addLast(CALLER_ERRORS, new CallerErrorHandler());
  }

  private Http2FrameCodec newHttp2Codec() {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxHeaderListSize(MAX_HEADER_BYTES)
            .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
            .initialWindowSize(STREAM_WINDOW))
        .validateHeaders(true)
        .decoderEnforceMaxRstFramesPerWindow(MAX_RST_FRAMES_PER_WINDOW, RST_WINDOW_SECONDS)
        .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
        .build();
  }

  private Http2ServerUpgradeCodec newUpgradeCodec() {
    Http2FrameCodec codec = newHttp2Codec();
    return new Http2ServerUpgradeCodec(codec, newMultiplexHandler(),
        new Http2IdleTimeoutHandler(codec.connection(), timeouts.idle()));
  }

  private Http2MultiplexHandler newMultiplexHandler() {
    return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        stream.config().setAutoRead(false);
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new Http2StreamFrontHandler(context));
      }
    });
  }

  /** Installed in place of the HTTP/1.1 handlers when the connection starts with the HTTP/2 preface. */
  private final class PriorKnowledgeInitializer extends ChannelInitializer<Channel> {
    @Override
    protected void initChannel(Channel ch) {
      // Before the last handler, which takes the errors the HTTP/2 codec passes on.
      Http2FrameCodec codec = newHttp2Codec();
      ch.pipeline().addBefore(CALLER_ERRORS, null, codec);
      ch.pipeline().addBefore(CALLER_ERRORS, null, newMultiplexHandler());
      ch.pipeline().addBefore(CALLER_ERRORS, null, new Http2IdleTimeoutHandler(codec.connection(), timeouts.idle()));
    }
  }
}

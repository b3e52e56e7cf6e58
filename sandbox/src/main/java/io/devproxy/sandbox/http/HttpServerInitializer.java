package io.devproxy.sandbox.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.util.AsciiString;

/**
 * Assembles the pipeline of each accepted connection.
 *
 * <p>HTTP/1.1 only: {@code HttpServerCodec → HttpServerKeepAliveHandler → HttpServerExpectContinueHandler →
 * RestHandler}.
 *
 * <p>h2c: {@code CleartextHttp2ServerUpgradeHandler} looks at the first bytes. The HTTP/2 connection preface
 * installs {@code Http2FrameCodec → Http2MultiplexHandler} right away; otherwise HTTP/1.1 is decoded and the
 * first request either upgrades ({@code Upgrade: h2c}, RFC 7540 section 3.2; {@link H2cUpgradeFilter} guards
 * the body size) or makes {@link Http1PipelineInstaller} install the HTTP/1.1 handlers. Each HTTP/2 stream is a
 * child channel set up by {@code streamInitializer}.
 */
final class HttpServerInitializer extends ChannelInitializer<SocketChannel> {

    /**
     * The largest body an upgrade request may carry: Netty aggregates it before switching protocols.
     * {@link H2cUpgradeFilter} serves requests with larger (or chunked) bodies over HTTP/1.1 instead.
     */
    static final int MAX_UPGRADE_BODY_BYTES = 64 * 1024;

    private final RestConfig config;
    private final boolean h2c;
    private final ChannelHandler streamInitializer;

    /**
     * @param h2c false: HTTP/1.1 only, an HTTP/2 preface is answered 400 and the connection closed
     * @param streamInitializer a sharable handler that sets up each HTTP/2 stream's child channel
     */
    HttpServerInitializer(RestConfig config, boolean h2c, ChannelHandler streamInitializer) {
        this.config = config;
        this.h2c = h2c;
        this.streamInitializer = streamInitializer;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (!h2c) {
            p.addLast("http1-codec", new HttpServerCodec());
            addHttp1Handlers(p, "http1-codec", config);
            return;
        }
        HttpServerCodec codec = new HttpServerCodec();
        HttpServerUpgradeHandler upgradeHandler = new HttpServerUpgradeHandler(codec,
                protocol -> AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(newFrameCodec(), newMultiplexHandler())
                        : null,
                MAX_UPGRADE_BODY_BYTES);
        p.addLast("h2c", new CleartextHttp2ServerUpgradeHandler(codec, upgradeHandler,
                new Http2ConnectionInstaller(this::newFrameCodec, this::newMultiplexHandler)));
        // CleartextHttp2ServerUpgradeHandler has added the codec and the upgrade handler behind itself by now.
        p.addBefore(p.context(upgradeHandler).name(), "h2c-upgrade-filter", new H2cUpgradeFilter());
        p.addLast("http1-installer", new Http1PipelineInstaller(config, upgradeHandler));
    }

    /** Adds the HTTP/1.1 handlers that follow {@code HttpServerCodec}, after the handler named {@code baseName}. */
    static void addHttp1Handlers(ChannelPipeline p, String baseName, RestConfig config) {
        p.addAfter(baseName, "http1-keep-alive", new HttpServerKeepAliveHandler())
                .addAfter("http1-keep-alive", "http1-expect-continue", new HttpServerExpectContinueHandler())
                .addAfter("http1-expect-continue", "rest", new RestHandler(config, false));
    }

    private Http2FrameCodec newFrameCodec() {
        return Http2FrameCodecBuilder.forServer().build();
    }

    private Http2MultiplexHandler newMultiplexHandler() {
        return new Http2MultiplexHandler(streamInitializer);
    }
}

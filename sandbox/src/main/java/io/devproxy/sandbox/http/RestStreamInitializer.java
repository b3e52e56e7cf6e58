package io.devproxy.sandbox.http;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

/**
 * Sets up an HTTP/2 stream for REST: frames become {@code HttpObject}s, so {@link RestHandler} serves the stream
 * exactly as it serves an HTTP/1.1 connection.
 */
@Sharable
final class RestStreamInitializer extends ChannelInitializer<Http2StreamChannel> {

    private final RestConfig config;

    RestStreamInitializer(RestConfig config) {
        this.config = config;
    }

    @Override
    protected void initChannel(Http2StreamChannel ch) {
        addRestHandlers(ch, config);
    }

    static void addRestHandlers(Http2StreamChannel ch, RestConfig config) {
        ch.pipeline().addLast(
                new Http2StreamFrameToHttpObjectCodec(true),
                new HttpServerExpectContinueHandler(),
                new RestHandler(config, true));
    }
}

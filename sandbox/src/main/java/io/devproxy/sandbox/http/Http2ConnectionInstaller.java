package io.devproxy.sandbox.http;

import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import java.util.function.Supplier;

/**
 * Replaces itself with {@code Http2FrameCodec → Http2MultiplexHandler} as soon as it is added.
 * {@code CleartextHttp2ServerUpgradeHandler} installs one handler when it sees the HTTP/2 preface; this lets
 * that one handler be the pair.
 */
final class Http2ConnectionInstaller extends ChannelHandlerAdapter {

    private final Supplier<Http2FrameCodec> frameCodec;
    private final Supplier<Http2MultiplexHandler> multiplexHandler;

    Http2ConnectionInstaller(Supplier<Http2FrameCodec> frameCodec, Supplier<Http2MultiplexHandler> multiplexHandler) {
        this.frameCodec = frameCodec;
        this.multiplexHandler = multiplexHandler;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // The multiplexer looks for the codec when it is added, so the codec goes first.
        ctx.pipeline()
                .addAfter(ctx.name(), "h2-frame-codec", frameCodec.get())
                .addAfter("h2-frame-codec", "h2-multiplex", multiplexHandler.get())
                .remove(this);
    }
}

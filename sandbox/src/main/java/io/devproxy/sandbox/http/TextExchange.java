package io.devproxy.sandbox.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;

/** Answers with one complete response as soon as the request head arrives; discards the request body. */
final class TextExchange implements Exchange {

    private final ChannelHandlerContext ctx;
    private FullHttpResponse response;

    /** Takes ownership of {@code response}. */
    TextExchange(ChannelHandlerContext ctx, FullHttpResponse response) {
        this.ctx = ctx;
        this.response = response;
    }

    @Override
    public void start() {
        FullHttpResponse r = response;
        response = null;
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void onRequestContent(HttpContent content) {
        content.release();
    }

    @Override
    public boolean responseComplete() {
        return response == null;
    }
}

package io.devproxy.sandbox.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent;

/**
 * Sits in front of {@code HttpServerUpgradeHandler} for the first request only. If that request asks for
 * {@code Upgrade: h2c} with a body that may exceed {@link HttpServerInitializer#MAX_UPGRADE_BODY_BYTES}, it
 * removes the {@code Upgrade} header: Netty would buffer such a body and then refuse it with 413, while a
 * server may ignore {@code Upgrade} (RFC 9110 section 7.8) and stream the body over HTTP/1.1.
 */
final class H2cUpgradeFilter extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            if (request.headers().contains(HttpHeaderNames.UPGRADE)
                    && (HttpUtil.isTransferEncodingChunked(request)
                    || HttpUtil.getContentLength(request, 0L) > HttpServerInitializer.MAX_UPGRADE_BODY_BYTES)) {
                request.headers().remove(HttpHeaderNames.UPGRADE);
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof PriorKnowledgeUpgradeEvent) {
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }
}

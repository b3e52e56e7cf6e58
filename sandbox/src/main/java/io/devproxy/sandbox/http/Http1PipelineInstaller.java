package io.devproxy.sandbox.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Last handler of a fresh h2c-capable connection. It sits behind the upgrade handler, so it only sees a request
 * that did not switch the connection to HTTP/2.
 *
 * <p>On the first such request it removes the upgrade handler (the first request decides the protocol; later
 * {@code Upgrade} headers are ignored), installs the HTTP/1.1 handlers and removes itself. If the connection
 * became HTTP/2 instead, it stays and drops the connection-level frames (SETTINGS, PING, GOAWAY) the
 * multiplexer passes on.
 */
final class Http1PipelineInstaller extends ChannelInboundHandlerAdapter {

    private final RestConfig config;
    private final HttpServerUpgradeHandler upgradeHandler;

    Http1PipelineInstaller(RestConfig config, HttpServerUpgradeHandler upgradeHandler) {
        this.config = config;
        this.upgradeHandler = upgradeHandler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        if (p.context(upgradeHandler) != null) {
            p.remove(upgradeHandler);
        }
        HttpServerInitializer.addHttp1Handlers(p, ctx.name(), config);
        ctx.fireChannelRead(msg);
        p.remove(this);
    }
}

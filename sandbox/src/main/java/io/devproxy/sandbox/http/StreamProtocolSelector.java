package io.devproxy.sandbox.http;

import io.devproxy.sandbox.CallLog;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;

/**
 * First handler of each SampleApp HTTP/2 stream. On the request's HEADERS it installs {@link GrpcGreeterHandler}
 * when {@code content-type} is {@code application/grpc} (or {@code application/grpc+...}), else the REST
 * handlers, then passes the HEADERS on and removes itself.
 */
@Sharable
final class StreamProtocolSelector extends ChannelInboundHandlerAdapter {

    private final RestConfig config;
    private final CallLog callLog;

    StreamProtocolSelector(RestConfig config, CallLog callLog) {
        this.config = config;
        this.callLog = callLog;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame headers && isGrpc(headers)) {
            ctx.pipeline().addLast(new GrpcGreeterHandler(config.who(), callLog));
        } else {
            RestStreamInitializer.addRestHandlers((Http2StreamChannel) ctx.channel(), config);
        }
        ctx.fireChannelRead(msg);
        ctx.pipeline().remove(this);
    }

    private static boolean isGrpc(Http2HeadersFrame frame) {
        CharSequence contentType = frame.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null) {
            return false;
        }
        String value = contentType.toString();
        return value.equals("application/grpc") || value.startsWith("application/grpc+")
                || value.startsWith("application/grpc;");
    }
}

package io.devproxy.sandbox.http;

import io.devproxy.sandbox.SandboxHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /echo}: answers 200 at once and streams the request body back as it arrives, never aggregating
 * it. Framing follows the request ({@code content-length} if it had one, else chunked). Request headers named
 * {@code x-*} come back as {@code x-echo-x-*}; {@code content-type} is copied.
 *
 * <p>Backpressure: {@link #pausesReading()} while the channel is not writable, so the body is read no faster
 * than the client reads the echo. For the echo the channel's high write-water mark is {@code bufferBytes}
 * (restored when the echo is written): a client that sends its whole body before reading the response (the
 * JDK client over HTTP/1.1 does) gets bodies up to about that size echoed, and stalls on larger ones, as it
 * would against any streaming echo.
 */
final class EchoExchange implements Exchange {

    /** Headers Netty adds when it converts HTTP/2 to HTTP/1 objects ({@code x-http2-stream-id}, ...). */
    private static final String HTTP2_EXTENSION_PREFIX = "x-http2-";

    private final ChannelHandlerContext ctx;
    private final HttpResponse head;
    private final int bufferBytes;

    private WriteBufferWaterMark previousWaterMark;
    private boolean complete;

    EchoExchange(ChannelHandlerContext ctx, HttpRequest request, String who, String protocol, int bufferBytes) {
        this.ctx = ctx;
        this.bufferBytes = bufferBytes;
        this.head = Responses.head(HttpResponseStatus.OK, who, protocol);
        for (Map.Entry<String, String> header : request.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-") && !name.startsWith(HTTP2_EXTENSION_PREFIX)) {
                head.headers().add(SandboxHeaders.ECHO_PREFIX + name, header.getValue());
            }
        }
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE,
                contentType != null ? contentType : HttpHeaderValues.APPLICATION_OCTET_STREAM);
        if (HttpUtil.isContentLengthSet(request)) {
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, HttpUtil.getContentLength(request));
        } else {
            Responses.chunked(head);
        }
    }

    @Override
    public void start() {
        ChannelConfig config = ctx.channel().config();
        previousWaterMark = config.getWriteBufferWaterMark();
        config.setWriteBufferWaterMark(new WriteBufferWaterMark(bufferBytes / 2, bufferBytes));
        ctx.writeAndFlush(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void onRequestContent(HttpContent content) {
        // The message and its buffer share one reference count: re-wrapping hands that reference on.
        ByteBuf data = content.content();
        if (content instanceof LastHttpContent) {
            complete = true;
            ctx.writeAndFlush(new DefaultLastHttpContent(data)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            ctx.channel().config().setWriteBufferWaterMark(previousWaterMark);
        } else if (data.isReadable()) {
            ctx.writeAndFlush(new DefaultHttpContent(data)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
            content.release();
        }
    }

    @Override
    public boolean pausesReading() {
        return !complete && !ctx.channel().isWritable();
    }

    @Override
    public boolean responseComplete() {
        return complete;
    }
}

package io.devproxy.sandbox.http;

import io.devproxy.sandbox.SandboxHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Builds REST responses; each carries {@code x-served-by} and {@code x-protocol}. */
final class Responses {

    private Responses() {
    }

    /** A response head without framing headers; the caller adds {@code content-length} or chunked. */
    static HttpResponse head(HttpResponseStatus status, String who, String protocol) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        addSandboxHeaders(response, who, protocol);
        return response;
    }

    /**
     * A complete {@code text/plain} response. Statuses that must not have content (204, 304) get none, and 204
     * no {@code content-length} either (RFC 9110 section 8.6).
     */
    static FullHttpResponse text(
            ByteBufAllocator alloc, HttpResponseStatus status, String body, String who, String protocol) {
        int code = status.code();
        boolean noContent = code == 204 || code == 304;
        ByteBuf content = noContent ? Unpooled.EMPTY_BUFFER : ByteBufUtil.writeUtf8(alloc, body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        addSandboxHeaders(response, who, protocol);
        if (!noContent) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        }
        if (code != 204) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        }
        return response;
    }

    /** Marks {@code response} as chunked; over HTTP/2 the codec drops the header and just streams DATA. */
    static void chunked(HttpResponse response) {
        response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }

    private static void addSandboxHeaders(HttpResponse response, String who, String protocol) {
        response.headers()
                .set(SandboxHeaders.SERVED_BY, who)
                .set(SandboxHeaders.PROTOCOL, protocol);
    }
}

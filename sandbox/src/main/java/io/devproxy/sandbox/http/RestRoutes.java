package io.devproxy.sandbox.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * Matches a REST request to its {@link Exchange}: {@code GET /who}, {@code GET /bytes?n=N&chunked=true|false}
 * (chunked unless {@code chunked=false}), {@code POST /echo}, {@code GET /status/{200-599}}; a bad parameter is
 * 400, anything else 404.
 */
final class RestRoutes {

    private final RestConfig config;

    RestRoutes(RestConfig config) {
        this.config = config;
    }

    /** @param protocol what the server saw, for {@code x-protocol}: HTTP/1.1, HTTP/1.0 or HTTP/2 */
    Exchange route(ChannelHandlerContext ctx, HttpRequest request, String protocol) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        HttpMethod method = request.method();
        if (HttpMethod.GET.equals(method)) {
            if (path.equals("/who")) {
                return text(ctx, HttpResponseStatus.OK, config.who() + "\n", protocol);
            }
            if (path.equals("/bytes")) {
                return bytes(ctx, uri, protocol);
            }
            if (path.startsWith("/status/")) {
                return status(ctx, path.substring("/status/".length()), protocol);
            }
        } else if (HttpMethod.POST.equals(method) && path.equals("/echo")) {
            return new EchoExchange(ctx, request, config.who(), protocol, config.echoBufferBytes());
        }
        return text(ctx, HttpResponseStatus.NOT_FOUND, "no route for " + method + " " + path + "\n", protocol);
    }

    private Exchange bytes(ChannelHandlerContext ctx, QueryStringDecoder uri, String protocol) {
        String n = lastValue(uri, "n");
        String chunked = lastValue(uri, "chunked");
        long length;
        try {
            length = n == null ? -1 : Long.parseLong(n);
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length < 0) {
            return text(ctx, HttpResponseStatus.BAD_REQUEST, "n: " + n + " (expected: a byte count >= 0)\n", protocol);
        }
        if (chunked != null && !chunked.equals("true") && !chunked.equals("false")) {
            return text(ctx, HttpResponseStatus.BAD_REQUEST,
                    "chunked: " + chunked + " (expected: true or false)\n", protocol);
        }
        return new PatternExchange(ctx, length, !"false".equals(chunked), config.who(), protocol);
    }

    private Exchange status(ChannelHandlerContext ctx, String code, String protocol) {
        int status;
        try {
            status = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            status = -1;
        }
        if (status < 200 || status > 599) {
            return text(ctx, HttpResponseStatus.BAD_REQUEST, "status: " + code + " (expected: 200-599)\n", protocol);
        }
        return text(ctx, HttpResponseStatus.valueOf(status), "status " + status + "\n", protocol);
    }

    private Exchange text(ChannelHandlerContext ctx, HttpResponseStatus status, String body, String protocol) {
        return new TextExchange(ctx, Responses.text(ctx.alloc(), status, body, config.who(), protocol));
    }

    private static String lastValue(QueryStringDecoder uri, String name) {
        List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(values.size() - 1);
    }
}

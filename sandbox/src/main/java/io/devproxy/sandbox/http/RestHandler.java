package io.devproxy.sandbox.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves the REST endpoints on one channel: an HTTP/1.1 connection (requests in sequence) or an HTTP/2 stream
 * (one request). {@link RestRoutes} picks an {@link Exchange} for each request; this handler feeds it the request
 * body and moves on to the next request once both are complete. A malformed request, or the HTTP/2 preface on
 * an HTTP/1.1-only port, is answered 400 and the connection closed.
 *
 * <p>Events: inbound messages queue up and are handled in order by {@link #settle()}, which also runs when the
 * channel's writability changes. Writing can fire events synchronously (a write makes the channel unwritable, a
 * flush makes it writable); {@code settle()} folds such nested events into its loop instead of re-entering an
 * exchange in the middle of a write.
 *
 * <p>Reading: while a request pipelined behind one still being answered waits in the queue, reading stops; an
 * exchange may also pause reading (echo, while the channel is not writable). This bounds what a connection
 * buffers whatever the client sends.
 */
final class RestHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = Logger.getLogger(RestHandler.class.getName());

    private final RestRoutes routes;
    private final String who;
    private final boolean http2;
    private final ArrayDeque<HttpObject> inbound = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private boolean requestComplete;
    private boolean failed;
    private boolean closed;

    private boolean settling;
    private boolean dirty;
    private boolean writabilityChanged;

    /** @param http2 whether the channel is an HTTP/2 stream, for {@code x-protocol} */
    RestHandler(RestConfig config, boolean http2) {
        this.routes = new RestRoutes(config);
        this.who = config.who();
        this.http2 = http2;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject obj)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closed) {
            ReferenceCountUtil.release(obj);
            return;
        }
        inbound.add(obj);
        settle();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writabilityChanged = true;
        settle();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        exchange = null;
        releaseInbound();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseInbound();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are what clients that hang up cause; nothing to report.
        logger.log(cause instanceof IOException ? Level.FINE : Level.WARNING,
                "closing " + ctx.channel() + " after an error", cause);
        ctx.close();
    }

    /** Handles everything that can be handled now; a nested call only marks the work for the outer one. */
    private void settle() {
        dirty = true;
        if (settling) {
            return;
        }
        settling = true;
        try {
            while (dirty) {
                dirty = false;
                if (writabilityChanged) {
                    writabilityChanged = false;
                    if (exchange != null) {
                        exchange.onWritabilityChanged();
                    }
                }
                processInbound();
                updateReading();
            }
        } finally {
            settling = false;
        }
    }

    /** Feeds queued messages to exchanges in order; a request waits until the previous answer is complete. */
    private void processInbound() {
        while (!closed) {
            if (exchange != null && requestComplete) {
                if (!exchange.responseComplete()) {
                    return;
                }
                exchange = null;
            }
            HttpObject next = inbound.poll();
            if (next == null) {
                return;
            }
            dispatch(next);
        }
    }

    private void dispatch(HttpObject obj) {
        if (failed) {
            ReferenceCountUtil.release(obj);
            return;
        }
        DecoderResult result = obj.decoderResult();
        if (result.isFailure()) {
            ReferenceCountUtil.release(obj);
            fail("malformed request: " + result.cause().getMessage());
            return;
        }
        if (obj instanceof HttpRequest request) {
            if (!http2 && "PRI".equals(request.method().name())) {
                ReferenceCountUtil.release(obj);
                fail("this port speaks HTTP/1.1 only");
                return;
            }
            requestComplete = false;
            exchange = routes.route(ctx, request, http2 ? "HTTP/2" : request.protocolVersion().text());
            exchange.start();
        }
        if (obj instanceof HttpContent content) {
            if (exchange == null || requestComplete) {
                content.release();
                return;
            }
            requestComplete = content instanceof LastHttpContent;
            exchange.onRequestContent(content);
        }
    }

    /** Answers 400 and closes: after a malformed request the connection's framing cannot be trusted. */
    private void fail(String reason) {
        failed = true;
        exchange = null;
        releaseInbound();
        String protocol = http2 ? "HTTP/2" : "HTTP/1.1";
        FullHttpResponse response =
                Responses.text(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, reason + "\n", who, protocol);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void updateReading() {
        boolean read = !failed && !closed && inbound.isEmpty() && (exchange == null || !exchange.pausesReading());
        if (ctx.channel().config().isAutoRead() != read) {
            // Turning auto-read back on also issues a read().
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void releaseInbound() {
        HttpObject obj;
        while ((obj = inbound.poll()) != null) {
            ReferenceCountUtil.release(obj);
        }
    }
}

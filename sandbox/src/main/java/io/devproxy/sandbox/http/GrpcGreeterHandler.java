package io.devproxy.sandbox.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.UnsafeByteOperations;
import io.devproxy.sandbox.BytePattern;
import io.devproxy.sandbox.CallLog;
import io.devproxy.sandbox.SandboxHeaders;
import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.GreeterServer;
import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.devproxy.sandbox.greeter.StreamRequest;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Greeter's {@code SayHello} and {@code SayHelloStream} by hand on one HTTP/2 stream, per the gRPC over HTTP/2
 * protocol ({@link GrpcWire}): the request is one length-prefixed message, read whole once the client
 * half-closes; the answer is HEADERS ({@code :status 200}, {@code content-type: application/grpc}), DATA with
 * length-prefixed replies, and trailing HEADERS with {@code grpc-status}. Errors before any reply are sent
 * trailers-only.
 *
 * <p>A protocol state machine, hence the length. One instance per stream, used on its event loop only.
 */
final class GrpcGreeterHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = Logger.getLogger(GrpcGreeterHandler.class.getName());

    private static final String SAY_HELLO = "/" + GreeterGrpc.getSayHelloMethod().getFullMethodName();
    private static final String SAY_HELLO_STREAM = "/" + GreeterGrpc.getSayHelloStreamMethod().getFullMethodName();
    private static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;

    private final String who;
    private final CallLog callLog;
    /**
     * A failed write means the stream is gone (reset by the client): stop producing. Writes to a reset stream
     * fail at once and free their flow-control credit, so the stream turns writable again; without this a
     * server stream would spin.
     */
    private final ChannelFutureListener onWriteDone = future -> {
        if (!future.isSuccess()) {
            streaming = false;
            future.channel().close();
        }
    };

    private ChannelHandlerContext ctx;
    /** Full method name, once the request HEADERS arrived. */
    private String method;
    private CompositeByteBuf request;
    /** The request has been read whole (or refused); later DATA is dropped. */
    private boolean requestDone;
    /** The trailers have been written: the call is over for the server. */
    private boolean finished;

    private HelloReply streamTemplate;
    private long streamCount;
    private long streamSent;
    private boolean streaming;
    private boolean writing;
    private boolean writeAgain;

    GrpcGreeterHandler(String who, CallLog callLog) {
        this.who = who;
        this.callLog = callLog;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        request = ctx.alloc().compositeBuffer();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseRequest();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame headers) {
            onHeaders(headers);
        } else if (msg instanceof Http2DataFrame data) {
            onData(data);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writeRepliesWhileWritable();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseRequest();
        if (method != null && !finished) {
            // The stream ended (RST_STREAM, lost connection, server shutdown) before the answer did.
            finished = true;
            streaming = false;
            callLog.recordCancellation(method);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.log(cause instanceof IOException ? Level.FINE : Level.WARNING,
                "resetting " + ctx.channel() + " after an error", cause);
        ctx.close();
    }

    private void onHeaders(Http2HeadersFrame frame) {
        if (method == null) {
            onRequestHeaders(frame);
        } else if (frame.isEndStream()) {
            // Trailers from the client: the request is complete.
            onHalfClose();
        }
    }

    private void onRequestHeaders(Http2HeadersFrame frame) {
        Http2Headers headers = frame.headers();
        String path = String.valueOf(headers.path());
        method = path.startsWith("/") ? path.substring(1) : path;
        callLog.recordCall();
        if (!SAY_HELLO.equals(path) && !SAY_HELLO_STREAM.equals(path)) {
            refuse(Status.UNIMPLEMENTED, "Method not found: " + method);
        } else if (!"POST".equals(String.valueOf(headers.method()))) {
            refuse(Status.UNIMPLEMENTED, "gRPC requires POST, got " + headers.method());
        } else if (frame.isEndStream()) {
            onHalfClose();
        }
    }

    private void onData(Http2DataFrame frame) {
        if (requestDone || !frame.content().isReadable()) {
            boolean endStream = frame.isEndStream();
            frame.release();
            if (endStream) {
                onHalfClose();
            }
            return;
        }
        if (request.readableBytes() + frame.content().readableBytes() > MAX_REQUEST_BYTES) {
            frame.release();
            refuse(Status.RESOURCE_EXHAUSTED, "request larger than " + MAX_REQUEST_BYTES + " bytes");
            return;
        }
        boolean endStream = frame.isEndStream();
        request.addComponent(true, frame.content());
        if (endStream) {
            onHalfClose();
        }
    }

    /** The client sent everything: parse the one request message and answer. */
    private void onHalfClose() {
        if (requestDone) {
            return;
        }
        requestDone = true;
        ByteBuf message;
        try {
            message = GrpcWire.singleMessage(request);
        } catch (GrpcWire.MalformedRequestException e) {
            releaseRequest();
            refuse(Status.INTERNAL, e.getMessage());
            return;
        }
        try {
            if (("/" + method).equals(SAY_HELLO)) {
                sayHello(HelloRequest.parseFrom(message.nioBuffer()));
            } else {
                sayHelloStream(StreamRequest.parseFrom(message.nioBuffer()));
            }
        } catch (InvalidProtocolBufferException e) {
            refuse(Status.INTERNAL, "invalid request message: " + e.getMessage());
        } finally {
            releaseRequest();
        }
    }

    private void sayHello(HelloRequest hello) {
        switch (hello.getName()) {
            case GreeterServer.NOT_FOUND_NAME -> {
                Http2Headers trailers = GrpcWire.trailersOnly(Status.NOT_FOUND, "no greeting for not-found", who);
                trailers.set(SandboxHeaders.ERROR_DETAIL, "missing");
                finish(trailers);
            }
            case GreeterServer.HANG_NAME -> {
                // Never answers; channelInactive records the cancellation.
            }
            default -> {
                writeResponseHeaders();
                writeReply(reply("Hello " + hello.getName(), 0, ByteString.EMPTY));
                finish(GrpcWire.trailers(Status.OK, null, who));
            }
        }
    }

    private void sayHelloStream(StreamRequest stream) {
        if (stream.getPayloadBytes() < 0) {
            refuse(Status.INVALID_ARGUMENT, "payload_bytes: " + stream.getPayloadBytes() + " (expected: >= 0)");
            return;
        }
        ByteString payload = UnsafeByteOperations.unsafeWrap(BytePattern.bytes(0, stream.getPayloadBytes()));
        streamTemplate = reply("Hello " + stream.getName(), 0, payload);
        streamCount = stream.getCount();
        streaming = true;
        writeResponseHeaders();
        writeRepliesWhileWritable();
    }

    /**
     * Writes replies while the stream is writable (HTTP/2 flow control); ends the call after the last. A write or
     * flush can change writability synchronously; such a nested call makes the outer one loop instead of
     * re-entering it.
     */
    private void writeRepliesWhileWritable() {
        if (writing) {
            writeAgain = true;
            return;
        }
        writing = true;
        try {
            do {
                writeAgain = false;
                writeBatch();
            } while (writeAgain);
        } finally {
            writing = false;
        }
    }

    private void writeBatch() {
        if (!streaming) {
            return;
        }
        while (streaming && (streamCount < 0 || streamSent < streamCount) && ctx.channel().isWritable()) {
            writeReply(streamTemplate.toBuilder().setIndex((int) streamSent).build());
            streamSent++;
        }
        if (streaming && streamCount >= 0 && streamSent == streamCount) {
            streaming = false;
            finish(GrpcWire.trailers(Status.OK, null, who));
        } else {
            ctx.flush();
        }
    }

    private HelloReply reply(String message, int index, ByteString payload) {
        return HelloReply.newBuilder().setMessage(message).setServedBy(who).setIndex(index).setPayload(payload).build();
    }

    private void writeResponseHeaders() {
        ctx.write(new DefaultHttp2HeadersFrame(GrpcWire.responseHeaders(who), false)).addListener(onWriteDone);
    }

    private void writeReply(MessageLite reply) {
        ctx.write(new DefaultHttp2DataFrame(GrpcWire.frame(ctx.alloc(), reply), false)).addListener(onWriteDone);
    }

    /** Answers with an error before any reply: one HEADERS frame that ends the stream. */
    private void refuse(Status status, String description) {
        requestDone = true;
        if (!finished) {
            finish(GrpcWire.trailersOnly(status, description, who));
        }
    }

    private void finish(Http2Headers trailers) {
        finished = true;
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true)).addListener(onWriteDone);
    }

    private void releaseRequest() {
        if (request != null) {
            request.release();
            request = null;
        }
    }
}

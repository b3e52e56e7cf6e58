package io.devproxy.sandbox.http;

import com.google.protobuf.MessageLite;
import io.devproxy.sandbox.SandboxHeaders;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;

/**
 * The gRPC over HTTP/2 wire format, as far as {@link GrpcGreeterHandler} needs it: length-prefixed messages
 * (1-byte compressed flag, 4-byte big-endian length, protobuf bytes) and the header blocks of an answer.
 */
final class GrpcWire {

    static final String CONTENT_TYPE = "application/grpc";
    static final int PREFIX_BYTES = 5;

    private GrpcWire() {
    }

    /**
     * Reads the one message a unary or server-streaming request carries.
     *
     * @return a slice of {@code request} holding the protobuf bytes; valid while {@code request} is
     * @throws MalformedRequestException if there is not exactly one complete, uncompressed message
     */
    static ByteBuf singleMessage(ByteBuf request) throws MalformedRequestException {
        if (request.readableBytes() < PREFIX_BYTES) {
            throw new MalformedRequestException(request.isReadable()
                    ? "request message truncated" : "Half-closed without a request");
        }
        int compressed = request.readUnsignedByte();
        long length = request.readUnsignedInt();
        if (compressed != 0) {
            throw new MalformedRequestException("compressed request messages are not supported");
        }
        if (length > request.readableBytes()) {
            throw new MalformedRequestException("request message truncated");
        }
        ByteBuf message = request.readSlice((int) length);
        if (request.isReadable()) {
            throw new MalformedRequestException("Too many requests");
        }
        return message;
    }

    /** Returns {@code message} length-prefixed, in a new buffer the caller owns. */
    static ByteBuf frame(ByteBufAllocator alloc, MessageLite message) {
        byte[] bytes = message.toByteArray();
        return alloc.buffer(PREFIX_BYTES + bytes.length).writeByte(0).writeInt(bytes.length).writeBytes(bytes);
    }

    /** The HEADERS that start an answer with messages. */
    static Http2Headers responseHeaders(String who) {
        return new DefaultHttp2Headers()
                .status("200")
                .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                .set(SandboxHeaders.SERVED_BY, who);
    }

    /** The trailing HEADERS that end an answer; {@code description} may be null. */
    static Http2Headers trailers(Status status, String description, String who) {
        Http2Headers trailers = new DefaultHttp2Headers()
                .set("grpc-status", String.valueOf(status.getCode().value()))
                .set(SandboxHeaders.SERVED_BY_TRAILER, who);
        if (description != null) {
            trailers.set("grpc-message", percentEncode(description));
        }
        return trailers;
    }

    /** The single HEADERS of an answer without messages (gRPC "trailers-only"). */
    static Http2Headers trailersOnly(Status status, String description, String who) {
        Http2Headers headers = responseHeaders(who);
        headers.add(trailers(status, description, who));
        return headers;
    }

    /** grpc-message is percent-encoded UTF-8: everything outside printable ASCII, and '%' itself. */
    static String percentEncode(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (b >= ' ' && b <= '~' && b != '%') {
                out.append((char) b);
            } else {
                out.append(String.format("%%%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    /** A request that breaks the protocol; the message becomes the grpc-message. */
    static final class MalformedRequestException extends Exception {
        MalformedRequestException(String message) {
            super(message, null, false, false);
        }
    }
}

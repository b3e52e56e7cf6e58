package io.devproxy.sandbox.http;

import io.devproxy.sandbox.BytePattern;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * {@code GET /bytes}: {@code length} bytes of {@link BytePattern} in chunks of {@value #CHUNK_BYTES}, written
 * only while the channel is writable, so memory stays bounded whatever {@code length} and however slow the
 * reader. Framed with {@code content-length}, or chunked; over HTTP/2 either way it is just DATA frames.
 */
final class PatternExchange implements Exchange {

    static final int CHUNK_BYTES = 16 * 1024;

    /** The pattern from offset 0, long enough that any chunk is one copy from some offset below the period. */
    private static final byte[] PATTERN = BytePattern.bytes(0, CHUNK_BYTES + BytePattern.PERIOD);

    private final ChannelHandlerContext ctx;
    private final long length;
    private final HttpResponse head;

    private long written;
    private boolean complete;
    private boolean failed;

    /**
     * A failed write means the connection or stream is gone: stop. Writes to a reset HTTP/2 stream fail at once
     * and the stream turns writable again, so without this the loop would spin through the whole length.
     */
    private final ChannelFutureListener onWriteDone = future -> {
        if (!future.isSuccess()) {
            failed = true;
            future.channel().close();
        }
    };

    PatternExchange(ChannelHandlerContext ctx, long length, boolean chunked, String who, String protocol) {
        this.ctx = ctx;
        this.length = length;
        this.head = Responses.head(HttpResponseStatus.OK, who, protocol);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        if (chunked) {
            Responses.chunked(head);
        } else {
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
    }

    @Override
    public void start() {
        ctx.write(head).addListener(onWriteDone);
        writeWhileWritable();
    }

    @Override
    public void onRequestContent(HttpContent content) {
        content.release();
    }

    @Override
    public void onWritabilityChanged() {
        writeWhileWritable();
    }

    @Override
    public boolean responseComplete() {
        return complete;
    }

    private void writeWhileWritable() {
        if (complete || failed) {
            return;
        }
        Channel channel = ctx.channel();
        while (!failed && written < length && channel.isWritable()) {
            int size = (int) Math.min(CHUNK_BYTES, length - written);
            ByteBuf chunk = ctx.alloc().buffer(size);
            chunk.writeBytes(PATTERN, (int) (written % BytePattern.PERIOD), size);
            written += size;
            ctx.write(new DefaultHttpContent(chunk)).addListener(onWriteDone);
        }
        if (!failed && written == length) {
            complete = true;
            ctx.write(LastHttpContent.EMPTY_LAST_CONTENT).addListener(onWriteDone);
        }
        ctx.flush();
    }
}

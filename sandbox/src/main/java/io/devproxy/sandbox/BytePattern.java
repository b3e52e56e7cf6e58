package io.devproxy.sandbox;

import static java.util.Objects.checkFromIndexSize;
import static java.util.Objects.requireNonNull;

/**
 * The deterministic byte stream the sandbox servers send: byte {@code i} of a body is {@code (byte) (i % 251)}.
 * 251 is prime, so the pattern does not line up with power-of-two chunk or frame sizes and a dropped,
 * repeated or reordered chunk shows up as a mismatch.
 */
public final class BytePattern {

    /** The period of the pattern. */
    public static final int PERIOD = 251;

    private BytePattern() {
    }

    /** Returns byte {@code index} (0-based, non-negative) of the stream. */
    public static byte at(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("index: " + index + " (expected: >= 0)");
        }
        return (byte) (index % PERIOD);
    }

    /** Returns {@code length} bytes of the stream starting at {@code streamOffset}. */
    public static byte[] bytes(long streamOffset, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
        }
        byte[] bytes = new byte[length];
        fill(bytes, 0, length, streamOffset);
        return bytes;
    }

    /** Writes {@code length} bytes of the stream starting at {@code streamOffset} into {@code dst[off..]}. */
    public static void fill(byte[] dst, int off, int length, long streamOffset) {
        requireNonNull(dst, "dst");
        checkFromIndexSize(off, length, dst.length);
        if (streamOffset < 0) {
            throw new IllegalArgumentException("streamOffset: " + streamOffset + " (expected: >= 0)");
        }
        int value = (int) (streamOffset % PERIOD);
        for (int i = off; i < off + length; i++) {
            dst[i] = (byte) value;
            if (++value == PERIOD) {
                value = 0;
            }
        }
    }

    /**
     * Checks {@code data[off..off+length)} against the stream starting at {@code streamOffset}.
     *
     * @return -1 if every byte matches, else the stream index of the first byte that does not
     */
    public static long mismatch(byte[] data, int off, int length, long streamOffset) {
        requireNonNull(data, "data");
        checkFromIndexSize(off, length, data.length);
        if (streamOffset < 0) {
            throw new IllegalArgumentException("streamOffset: " + streamOffset + " (expected: >= 0)");
        }
        int value = (int) (streamOffset % PERIOD);
        for (int i = 0; i < length; i++) {
            if (data[off + i] != (byte) value) {
                return streamOffset + i;
            }
            if (++value == PERIOD) {
                value = 0;
            }
        }
        return -1;
    }

    /** Same as {@link #mismatch(byte[], int, int, long)} for a whole body: -1 if {@code body} is the stream's start. */
    public static long mismatch(byte[] body) {
        return mismatch(body, 0, body.length, 0);
    }
}

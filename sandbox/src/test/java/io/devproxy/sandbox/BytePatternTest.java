package io.devproxy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BytePatternTest {

    @Test
    void byteIIsIModulo251() {
        assertThat(BytePattern.at(0)).isEqualTo((byte) 0);
        assertThat(BytePattern.at(250)).isEqualTo((byte) 250);
        assertThat(BytePattern.at(251)).isEqualTo((byte) 0);
        assertThat(BytePattern.at(1L << 32)).isEqualTo((byte) ((1L << 32) % 251));
    }

    @Test
    void bytesFromAnOffsetContinueTheStream() {
        byte[] whole = BytePattern.bytes(0, 1000);
        byte[] tail = BytePattern.bytes(600, 400);
        for (int i = 0; i < 400; i++) {
            assertThat(tail[i]).isEqualTo(whole[600 + i]);
        }
    }

    @Test
    void mismatchFindsTheFirstWrongByte() {
        byte[] body = BytePattern.bytes(0, 600);
        assertThat(BytePattern.mismatch(body)).isEqualTo(-1);

        body[517] ^= 1;

        assertThat(BytePattern.mismatch(body)).isEqualTo(517);
        assertThat(BytePattern.mismatch(body, 500, 100, 500)).isEqualTo(517);
    }
}

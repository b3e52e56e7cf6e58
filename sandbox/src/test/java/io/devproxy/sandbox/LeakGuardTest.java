package io.devproxy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

class LeakGuardTest {

    @Test
    void leakDetectionIsParanoid() {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    }

    @Test
    void reportsABufferDroppedWithoutRelease() throws InterruptedException {
        LeakGuard.collectLeaks();

        leakOneBuffer();

        assertThat(LeakGuard.collectLeaks()).anySatisfy(report -> assertThat(report).contains("LEAK"));
    }

    private static void leakOneBuffer() {
        ByteBufAllocator.DEFAULT.buffer(64).writeLong(42);
    }
}

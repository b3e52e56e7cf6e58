package io.devproxy.tunnel.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Proxy;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

class LeakGuardTest {

  @Test
  void leakDetectionIsParanoid() {
    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }

  @Test
  void guardIsInstalledBeforeNettyCreatedTheBufferLeakDetector() {
    assertThat(LeakGuard.guardsByteBufs()).isTrue();
  }

  @Test
  void reportsABufferDroppedWithoutRelease() throws InterruptedException {
    LeakGuard.collectLeaks();
    String hint = "leaked-on-purpose-" + UUID.randomUUID();

    leakOneBuffer(hint);

    assertThat(LeakGuard.collectLeaks()).anySatisfy(report -> assertThat(report).contains("LEAK", hint));
    assertThat(LeakGuard.collectLeaks()).as("reports are handed out once").noneMatch(r -> r.contains(hint));
  }

  @Test
  void releasedBuffersAreNotReported() throws InterruptedException {
    LeakGuard.collectLeaks();
    String hint = "released-" + UUID.randomUUID();

    ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(64).touch(hint);
    buffer.writeLong(42);
    buffer.release();

    assertThat(LeakGuard.collectLeaks()).noneMatch(report -> report.contains(hint));
  }

  @Test
  void failsTheTestClassThatLeaked() throws InterruptedException {
    LeakGuard.collectLeaks();
    String hint = "class-leak-" + UUID.randomUUID();

    leakOneBuffer(hint);

    assertThatThrownBy(() -> new LeakGuard().afterAll(context("SomeLeakyTest")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("leak report(s) after SomeLeakyTest")
        .hasMessageContaining(hint);
  }

  @Test
  void passesATestClassThatReleasedEverything() throws InterruptedException {
    LeakGuard.collectLeaks();
    ByteBufAllocator.DEFAULT.buffer(64).release();

    new LeakGuard().afterAll(context("SomeCleanTest"));
  }

  /** Allocates, writes and drops a buffer; the hint makes its report unique (Netty reports a trace once). */
  private static void leakOneBuffer(String hint) {
    ByteBufAllocator.DEFAULT.buffer(64).touch(hint).writeLong(42);
  }

  private static ExtensionContext context(String displayName) {
    return (ExtensionContext) Proxy.newProxyInstance(LeakGuardTest.class.getClassLoader(),
        new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> {
          if (method.getName().equals("getDisplayName")) {
            return displayName;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }
}

package io.devproxy.agent.front;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Deadline} on a real event loop: only lower bounds of time are asserted, never how soon it fires. */
class DeadlineTest {

  private final EventLoop loop = new DefaultEventLoop();
  private final CountDownLatch expired = new CountDownLatch(1);
  private final AtomicLong expiredAt = new AtomicLong();
  private final Deadline deadline = new Deadline(loop, Duration.ofMillis(100), () -> {
    expiredAt.set(System.nanoTime());
    expired.countDown();
  });

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void firesOnceDueAndNotBefore() throws Exception {
    long start = System.nanoTime();
    loop.execute(() -> deadline.arm(Duration.ofMillis(100)));

    assertThat(expired.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(expiredAt.get() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
  }

  @Test
  void movedLaterFiresAtTheNewTimeLongerThanTheTaskSleeps() throws Exception {
    long start = System.nanoTime();
    loop.execute(() -> deadline.arm(Duration.ofMillis(100)));
    loop.schedule(() -> deadline.arm(Duration.ofMillis(350)), 50, TimeUnit.MILLISECONDS);

    assertThat(expired.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(expiredAt.get() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
  }

  @Test
  void disarmedNeverFiresAndArmsAgain() throws Exception {
    loop.execute(() -> {
      deadline.arm(Duration.ofMillis(100));
      deadline.disarm();
    });
    assertThat(expired.await(400, TimeUnit.MILLISECONDS)).isFalse();

    long rearmed = System.nanoTime();
    loop.execute(() -> deadline.arm(Duration.ofMillis(100)));
    assertThat(expired.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(expiredAt.get() - rearmed).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
  }

  @Test
  void cancelledNeverFires() throws Exception {
    loop.execute(() -> {
      deadline.arm(Duration.ofMillis(100));
      deadline.cancel();
    });

    assertThat(expired.await(400, TimeUnit.MILLISECONDS)).isFalse();
  }
}

package io.devproxy.agent.front;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One deadline of a connection, on its event loop, that moves without touching the timer queue: {@link #arm}
 * sets when it falls due, {@link #disarm} suspends it, and a single scheduled task, when it fires before the
 * current due time (the deadline moved later) or while disarmed, sleeps again or does nothing. Arming and
 * disarming per request costs two field writes instead of a scheduled task inserted and cancelled (as Netty's
 * {@code IdleStateHandler} does with its last-activity time). The task never sleeps longer than the shortest bound
 * the owner arms with, so arming that bound finds a task due no later than it and leaves it be. Event loop only.
 */
final class Deadline {

  private final EventExecutor executor;
  private final long maxSleepNanos;
  private final Runnable onExpiry;
  private boolean armed;
  private long dueNanos;
  private ScheduledFuture<?> timer;
  /** When {@link #timer} fires. */
  private long timerNanos;

  /**
   * @param shortest the shortest duration {@link #arm} is called with
   * @param onExpiry runs on {@code executor} once the deadline passes armed
   */
  Deadline(EventExecutor executor, Duration shortest, Runnable onExpiry) {
    this.executor = executor;
    this.maxSleepNanos = shortest.toNanos();
    this.onExpiry = onExpiry;
  }

  /** Falls due {@code after} from now, replacing any earlier arming. */
  void arm(Duration after) {
    armed = true;
    dueNanos = System.nanoTime() + after.toNanos();
    if (timer != null && timerNanos - dueNanos > 0) {
      timer.cancel(false); // the pending task would fire too late (armed with less than the shortest bound)
      timer = null;
    }
    if (timer == null) {
      schedule();
    }
  }

  /** Suspended until armed again; the pending task, if any, finds it so and does nothing. */
  void disarm() {
    armed = false;
  }

  /** Disarmed and the pending task cancelled: the connection is gone. */
  void cancel() {
    armed = false;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void schedule() {
    long now = System.nanoTime();
    long sleep = Math.min(dueNanos - now, maxSleepNanos);
    timerNanos = now + sleep;
    timer = executor.schedule(this::fired, sleep, TimeUnit.NANOSECONDS);
  }

  private void fired() {
    timer = null;
    if (!armed) {
      return;
    }
    if (dueNanos - System.nanoTime() > 0) {
      schedule();
      return;
    }
    armed = false;
    onExpiry.run();
  }
}

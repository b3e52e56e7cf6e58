package io.devproxy.e2e;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A process a test starts and owns: killed by a shutdown hook if the test JVM exits first, and stopped by {@link
 * #close()} with SIGTERM, then SIGKILL after the grace period, waiting for it to exit. Thread-safe.
 */
public final class ChildProcess implements AutoCloseable {

  private final Process process;
  private final Duration grace;
  private final Thread reaper;
  private boolean closed;

  private ChildProcess(Process process, String name, Duration grace) {
    this.process = process;
    this.grace = grace;
    this.reaper = new Thread(process::destroyForcibly, name + "-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts {@code builder}'s process.
   *
   * @param name for the reaper thread, e.g. {@code haproxy}
   * @param grace how long {@link #close()} waits after SIGTERM before SIGKILL
   */
  public static ChildProcess start(ProcessBuilder builder, String name, Duration grace) throws IOException {
    return new ChildProcess(builder.start(), requireNonNull(name, "name"), requireNonNull(grace, "grace"));
  }

  public Process process() {
    return process;
  }

  /** Stops the process and waits for it. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway; the process is already gone
    }
  }
}

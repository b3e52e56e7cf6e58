package io.devproxy.e2e.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one process's memory and CPU from {@code /proc/PID/status} ({@code VmRSS}, {@code VmHWM}) and
 * {@code /proc/PID/stat} ({@code utime + stime}), once a second on a daemon thread of its own and on demand.
 *
 * <p>{@link #close()} stops the thread; thread-safe.
 */
final class ProcSampler implements AutoCloseable {

  /** One reading. {@code nanos} is {@link System#nanoTime()}; CPU time is in clock ticks ({@link #ticksPerSecond}). */
  record Sample(long nanos, long rssKib, long hwmKib, long cpuTicks) {}

  private static final long TICKS_PER_SECOND = clockTicks();

  private final long pid;
  private final List<Sample> samples = new ArrayList<>();
  private final Thread thread;
  private volatile boolean closed;

  ProcSampler(long pid) {
    this.pid = pid;
    this.thread = new Thread(this::loop, "bench-proc-sampler-" + pid);
    thread.setDaemon(true);
    thread.start();
  }

  static long ticksPerSecond() {
    return TICKS_PER_SECOND;
  }

  /** Reads now and keeps the reading; null when the process is gone. */
  Sample sampleNow() {
    Sample s = read(pid);
    if (s != null) {
      synchronized (samples) {
        samples.add(s);
      }
    }
    return s;
  }

  /** The readings taken between {@code fromNanos} and {@code toNanos}, both included, oldest first. */
  List<Sample> between(long fromNanos, long toNanos) {
    synchronized (samples) {
      return samples.stream().filter(s -> s.nanos() >= fromNanos && s.nanos() <= toNanos).toList();
    }
  }

  /** One reading of {@code pid}; null when it has exited. */
  static Sample read(long pid) {
    long now = System.nanoTime();
    try {
      long rss = -1;
      long hwm = -1;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmRSS:")) {
          rss = kib(line);
        } else if (line.startsWith("VmHWM:")) {
          hwm = kib(line);
        }
      }
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
      // The command name in parentheses may hold spaces; fields count from after its closing parenthesis.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return new Sample(now, rss, hwm, ticks);
    } catch (IOException | RuntimeException gone) {
      return null;
    }
  }

  private static long kib(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", ""));
  }

  private void loop() {
    while (!closed) {
      if (sampleNow() == null) {
        return;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100; // USER_HZ on every Linux architecture Java runs on
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}

package io.devproxy.cli.demo;

import java.util.Arrays;
import java.util.Locale;

/**
 * The p50 and p99 of a run of request durations, by the nearest-rank method (the smallest sample that at
 * least {@code p} percent of the samples do not exceed), in nanoseconds.
 */
record LatencySummary(int count, long p50Nanos, long p99Nanos) {

  /** @throws IllegalArgumentException when there are no samples */
  static LatencySummary of(long[] nanos) {
    if (nanos.length == 0) {
      throw new IllegalArgumentException("nanos: empty (expected: at least one sample)");
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new LatencySummary(sorted.length, percentile(sorted, 50), percentile(sorted, 99));
  }

  /** The nearest-rank {@code p}th percentile of {@code sorted}, which is sorted ascending and not empty. */
  static long percentile(long[] sorted, int p) {
    if (p <= 0 || p > 100) {
      throw new IllegalArgumentException("p: " + p + " (expected: 1-100)");
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }

  /** How much slower {@code this} is than {@code baseline} at p50, in nanoseconds; negative when faster. */
  long addedP50Nanos(LatencySummary baseline) {
    return p50Nanos - baseline.p50Nanos;
  }

  /** Nanoseconds as milliseconds for people: two decimals, {@code 0.42 ms}. */
  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.2f ms", nanos / 1_000_000.0);
  }
}

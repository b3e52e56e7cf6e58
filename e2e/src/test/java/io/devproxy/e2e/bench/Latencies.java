package io.devproxy.e2e.bench;

/** Quantiles of raw latency samples, sorted ascending (no histogram: every sample is kept). */
final class Latencies {

  private Latencies() {}

  /** The sample at quantile {@code q} (0-1) of {@code sorted} (nearest rank); -1 without samples. */
  static long quantile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return -1;
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }
}

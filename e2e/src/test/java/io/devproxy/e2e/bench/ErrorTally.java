package io.devproxy.e2e.bench;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** The errors a workload's callbacks report from any thread: how many, and what the first one was. Thread-safe. */
final class ErrorTally {

  private final AtomicLong count = new AtomicLong();
  private final AtomicReference<String> first = new AtomicReference<>();

  void add(String what) {
    count.incrementAndGet();
    first.compareAndSet(null, what);
  }

  /** Why a reply is an error when the wrong server sent it; null when {@code servedBy} is the expected one. */
  static String wrongServer(String servedBy, String expected) {
    return expected.equals(servedBy) ? null : "served by " + servedBy + " (expected: " + expected + ")";
  }

  /**
   * The figures of a run, its errors being these and {@code unanswered} calls; {@code unansweredWhat} describes
   * them when no other error came first.
   */
  Workload.Figures figures(Map<String, Double> values, double work, long unanswered, String unansweredWhat) {
    String described = first.get() != null ? first.get() : unanswered > 0 ? unanswered + " " + unansweredWhat : null;
    return new Workload.Figures(values, work, count.get() + unanswered, described);
  }
}

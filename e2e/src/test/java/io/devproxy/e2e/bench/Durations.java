package io.devproxy.e2e.bench;

import java.time.Duration;

/** Durations as the report and h2load write them: {@code 500ms}, {@code 10s}. */
final class Durations {

  private Durations() {}

  static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}

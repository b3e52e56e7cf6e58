package io.devproxy.e2e.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code h2load} (nghttp2 1.52) printed at the end of a run, and the per-request latencies of its
 * {@code --log-file}. h2load itself reports the min, max, mean and standard deviation of request times, no
 * percentiles: those come from the log.
 *
 * @param requestsPerSecond from {@code finished in 10.00s, 12345.67 req/s, ...}
 * @param done requests answered ({@code requests: ... done})
 * @param succeeded answered 2xx or 3xx
 * @param failed failed requests, HTTP-level (4xx, 5xx) and transport-level (resets, timeouts) alike
 * @param meanMillis the mean of {@code time for request}; NaN when h2load printed none
 */
record H2LoadOutput(double requestsPerSecond, long done, long succeeded, long failed, double meanMillis) {

  private static final Pattern FINISHED = Pattern.compile("^finished in \\S+, ([0-9.]+) req/s", Pattern.MULTILINE);
  private static final Pattern REQUESTS = Pattern.compile(
      "^requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed", Pattern.MULTILINE);
  private static final Pattern REQUEST_TIME = Pattern.compile(
      "^time for request:\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)", Pattern.MULTILINE);

  /**
   * Parses h2load's standard output.
   *
   * @throws IllegalArgumentException when it holds no {@code finished in} or {@code requests:} line (h2load did
   *     not get to the end: a connection failure, a bad option)
   */
  static H2LoadOutput parse(String stdout) {
    Matcher finished = FINISHED.matcher(stdout);
    Matcher requests = REQUESTS.matcher(stdout);
    if (!finished.find() || !requests.find()) {
      throw new IllegalArgumentException("no summary in h2load's output: " + lastLine(stdout));
    }
    Matcher time = REQUEST_TIME.matcher(stdout);
    double mean = time.find() ? millis(time.group(3)) : Double.NaN;
    return new H2LoadOutput(Double.parseDouble(finished.group(1)), Long.parseLong(requests.group(3)),
        Long.parseLong(requests.group(4)), Long.parseLong(requests.group(5)), mean);
  }

  /**
   * The latencies, in nanoseconds and sorted, of the successful (2xx) requests in an h2load {@code --log-file}:
   * tab-separated start time (µs since the epoch), status code, and µs until the end of the response.
   */
  static long[] latencies(List<String> logLines) {
    List<Long> nanos = new ArrayList<>(logLines.size());
    for (String line : logLines) {
      String[] fields = line.strip().split("\t");
      if (fields.length < 3 || !fields[1].startsWith("2")) {
        continue;
      }
      try {
        nanos.add(Long.parseLong(fields[2]) * 1000);
      } catch (NumberFormatException notALine) {
        // skipped
      }
    }
    return nanos.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** {@code 117us}, {@code 2.63ms}, {@code 1.02s} in milliseconds. */
  static double millis(String value) {
    String v = value.toLowerCase(Locale.ROOT);
    if (v.endsWith("us")) {
      return Double.parseDouble(v.substring(0, v.length() - 2)) / 1000;
    }
    if (v.endsWith("ms")) {
      return Double.parseDouble(v.substring(0, v.length() - 2));
    }
    if (v.endsWith("s")) {
      return Double.parseDouble(v.substring(0, v.length() - 1)) * 1000;
    }
    throw new IllegalArgumentException("time: " + value + " (expected: a number and us, ms or s)");
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines.length == 0 || lines[lines.length - 1].isBlank() ? "(nothing)" : lines[lines.length - 1];
  }
}

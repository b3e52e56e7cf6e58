package io.devproxy.e2e.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class H2LoadOutputTest {

  // h2load nghttp2/1.52.0, -D 1s against a local server.
  private static final String OUTPUT = """
      starting benchmark...
      spawning thread #0: 4 total client(s). Timing-based test with 0s of warm-up time and 1s of main duration for measurements.
      Application protocol: h2c
      Main benchmark duration is started for thread #0.
      Main benchmark duration is over for thread #0. Stopping all clients.
      Stopped all clients for thread #0

      finished in 1.00s, 23456.78 req/s, 1.12MB/s
      requests: 23460 total, 23524 started, 23460 done, 23457 succeeded, 3 failed, 1 errored, 0 timeout
      status codes: 23457 2xx, 0 3xx, 2 4xx, 0 5xx
      traffic: 1.12MB (1173000) total, 322.56KB (330300) headers (space savings 90.24%), 160.30KB (164150) data
                           min         max         mean         sd        +/- sd
      time for request:      181us      8.97ms      2.63ms       823us    72.04%
      time for connect:      103us       162us       130us        25us    75.00%
      time to 1st byte:     2.27ms      2.35ms      2.31ms        37us    75.00%
      req/s           :    5860.11     5868.98     5864.20        3.77    75.00%
      """;

  @Test
  void readsTheSummary() {
    H2LoadOutput out = H2LoadOutput.parse(OUTPUT);

    assertThat(out.requestsPerSecond()).isEqualTo(23456.78);
    assertThat(out.done()).isEqualTo(23460);
    assertThat(out.succeeded()).isEqualTo(23457);
    assertThat(out.failed()).isEqualTo(3);
    assertThat(out.meanMillis()).isCloseTo(2.63, within(1e-9));
  }

  @Test
  void outputWithoutASummaryIsRefusedWithItsLastLine() {
    assertThatThrownBy(() -> H2LoadOutput.parse("starting benchmark...\nconnect to 127.0.0.1 port 1 failed\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("connect to 127.0.0.1 port 1 failed");
  }

  @Test
  void latenciesComeFromTheLogsSuccessfulRequestsSortedInNanoseconds() {
    long[] nanos = H2LoadOutput.latencies(List.of("1700000000000000\t200\t250", "1700000000000100\t200\t120",
        "1700000000000200\t404\t90", "1700000000000300\t200\t1000\n"));

    assertThat(nanos).containsExactly(120_000, 250_000, 1_000_000);
  }

  @Test
  void timesInEachUnit() {
    assertThat(H2LoadOutput.millis("181us")).isCloseTo(0.181, within(1e-9));
    assertThat(H2LoadOutput.millis("8.97ms")).isCloseTo(8.97, within(1e-9));
    assertThat(H2LoadOutput.millis("1.5s")).isCloseTo(1500, within(1e-9));
  }
}

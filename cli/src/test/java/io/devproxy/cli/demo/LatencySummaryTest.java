package io.devproxy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void percentilesAreNearestRankOfTheSortedSamples() {
    // 200 down to 1, unsorted on purpose.
    long[] samples = LongStream.rangeClosed(1, 200).map(i -> 201 - i).toArray();

    LatencySummary summary = LatencySummary.of(samples);

    assertThat(summary.count()).isEqualTo(200);
    assertThat(summary.p50Nanos()).isEqualTo(100);
    assertThat(summary.p99Nanos()).isEqualTo(198);
  }

  @Test
  void aFewSlowCallsMoveP99ButNotP50() {
    long[] samples = LongStream.range(0, 100).map(i -> i < 97 ? 1_000_000 : 50_000_000).toArray();

    LatencySummary summary = LatencySummary.of(samples);

    assertThat(summary.p50Nanos()).isEqualTo(1_000_000);
    assertThat(summary.p99Nanos()).isEqualTo(50_000_000);
  }

  @Test
  void oneSampleIsEveryPercentile() {
    LatencySummary summary = LatencySummary.of(new long[] {7});

    assertThat(summary.p50Nanos()).isEqualTo(7);
    assertThat(summary.p99Nanos()).isEqualTo(7);
  }

  @Test
  void doesNotReorderTheCallersArray() {
    long[] samples = {3, 1, 2};

    LatencySummary.of(samples);

    assertThat(samples).containsExactly(3, 1, 2);
  }

  @Test
  void noSamplesIsRefused() {
    assertThatThrownBy(() -> LatencySummary.of(new long[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one sample");
  }

  @Test
  void addedLatencyIsTheDifferenceOfTheMedians() {
    LatencySummary unmatched = new LatencySummary(200, 400_000, 900_000);
    LatencySummary matched = new LatencySummary(200, 650_000, 2_000_000);

    assertThat(matched.addedP50Nanos(unmatched)).isEqualTo(250_000);
    assertThat(unmatched.addedP50Nanos(matched)).isEqualTo(-250_000);
  }

  @Test
  void millisecondsHaveTwoDecimals() {
    assertThat(LatencySummary.millis(250_000)).isEqualTo("0.25 ms");
    assertThat(LatencySummary.millis(12_345_678)).isEqualTo("12.35 ms");
  }
}

package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A target the issue sets for one workload's figures, checked and reported next to them, never asserted: the bench
 * measures, it does not fail on a slow machine.
 */
record Goal(String text, Function<Map<String, Workload.Figures>, Verdict> check) {

  /** Met or missed, with the figures that decided it; {@code met} is null when a figure is missing. */
  record Verdict(Boolean met, String figures) {
    String word() {
      return met == null ? "no figures" : met ? "met" : "missed";
    }
  }

  Goal {
    requireNonNull(text, "text");
    requireNonNull(check, "check");
  }

  /** Pass-through adds at most what HAProxy adds to the direct route's {@code metric} (a latency). */
  static Goal passThroughAddsAtMostHaproxy(String metric) {
    return new Goal("pass-through added " + metric + " ≤ HAProxy's", byRoute -> {
      Double direct = value(byRoute, Route.DIRECT, metric);
      Double agent = value(byRoute, Route.PASS_THROUGH, metric);
      Double haproxy = value(byRoute, Route.HAPROXY, metric);
      if (direct == null || agent == null || haproxy == null) {
        return new Verdict(null, "-");
      }
      return new Verdict(agent - direct <= haproxy - direct, String.format(Locale.ROOT,
          "%+.3f ms vs %+.3f ms", agent - direct, haproxy - direct));
    });
  }

  /** The intercepted route adds at most {@code times} what HAProxy adds to the direct route's {@code metric}. */
  static Goal interceptedAddsAtMostTimesHaproxy(String metric, double times) {
    return new Goal(String.format(Locale.ROOT, "intercepted added %s ≤ %.0f× HAProxy's", metric, times), byRoute -> {
      Double direct = value(byRoute, Route.DIRECT, metric);
      Double intercepted = value(byRoute, Route.INTERCEPTED, metric);
      Double haproxy = value(byRoute, Route.HAPROXY, metric);
      if (direct == null || intercepted == null || haproxy == null) {
        return new Verdict(null, "-");
      }
      return new Verdict(intercepted - direct <= times * (haproxy - direct), String.format(Locale.ROOT,
          "%+.3f ms vs %.0f × %+.3f ms", intercepted - direct, times, haproxy - direct));
    });
  }

  /** {@code route}'s {@code metric} (a rate) is at least {@code fraction} of {@code baseline}'s. */
  static Goal rateAtLeast(String route, String metric, double fraction, String baseline) {
    return new Goal(String.format(Locale.ROOT, "%s ≥ %.0f%% of %s", route, fraction * 100,
        baseline.equals(Route.HAPROXY) ? "HAProxy" : baseline), byRoute -> {
          Double value = value(byRoute, route, metric);
          Double base = value(byRoute, baseline, metric);
          if (value == null || base == null || base == 0) {
            return new Verdict(null, "-");
          }
          return new Verdict(value >= fraction * base, String.format(Locale.ROOT, "%s vs %s (%.0f%%)",
              Report.number(value), Report.number(base), 100 * value / base));
        });
  }

  /**
   * Over a link whose round trip is {@code roundTripMs}, the intercepted route's {@code metric} (a latency) is the
   * direct route's (the service time) plus one round trip, not two: at most 1.5 round trips over the direct one.
   */
  static Goal interceptedTakesOneRoundTrip(String metric, double roundTripMs) {
    return new Goal(String.format(Locale.ROOT, "intercepted %s ≤ direct + 1 round trip of %s ms (not 2)", metric,
        Report.number(roundTripMs)), byRoute -> {
          Double direct = value(byRoute, Route.DIRECT, metric);
          Double intercepted = value(byRoute, Route.INTERCEPTED, metric);
          if (direct == null || intercepted == null) {
            return new Verdict(null, "-");
          }
          double roundTrips = (intercepted - direct) / roundTripMs;
          return new Verdict(roundTrips <= 1.5, String.format(Locale.ROOT,
              "%.3f ms = direct %.3f ms + %.2f round trips", intercepted, direct, roundTrips));
        });
  }

  /** {@code route}'s {@code metric} (a rate) is at least {@code floor}, which {@code why} explains. */
  static Goal rateAtLeast(String route, String metric, double floor, String unit, String why) {
    return new Goal(String.format(Locale.ROOT, "%s ≥ %s %s (%s)", route, Report.number(floor), unit, why),
        byRoute -> {
          Double value = value(byRoute, route, metric);
          if (value == null) {
            return new Verdict(null, "-");
          }
          return new Verdict(value >= floor, Report.number(value) + " " + unit);
        });
  }

  private static Double value(Map<String, Workload.Figures> byRoute, String route, String metric) {
    Workload.Figures figures = byRoute.get(route);
    return figures == null ? null : figures.values().get(metric);
  }
}

package io.devproxy.e2e.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 {@code GET /who} at a fixed rate over keep-alive connections ({@link OpenLoopLoad}: open loop, latency
 * from when each request was due). Requests still unanswered 10 s after the last was due count as errors.
 */
final class Http1FixedRate implements Workload {

  private final int rate;
  private final int connections;
  private final Duration warmup;
  private final Duration duration;

  Http1FixedRate(int rate, int connections, Duration warmup, Duration duration) {
    this.rate = rate;
    this.connections = connections;
    this.warmup = warmup;
    this.duration = duration;
  }

  @Override
  public String title() {
    return "HTTP/1.1 GET, fixed rate";
  }

  @Override
  public String description() {
    return String.format(Locale.ROOT, "`GET /who` at %,d req/s, open loop over %d keep-alive connections (Java "
        + "driver, latency from when each request was due); %s warm-up, %s measured.", rate, connections,
        Durations.text(warmup), Durations.text(duration));
  }

  @Override
  public List<Metric> metrics() {
    return List.of(new Metric("p50", "p50 ms", true), new Metric("p90", "p90 ms", false),
        new Metric("p99", "p99 ms", true), new Metric("rate", "answered req/s", false));
  }

  @Override
  public Unit unit() {
    return new Unit("10k req", 10_000);
  }

  @Override
  public Trial open(Route route) throws Exception {
    OpenLoopLoad load = new OpenLoopLoad(route.target(), connections, "/who", route.headers(), route.expectWho());
    try {
      load.connect();
    } catch (InterruptedException | RuntimeException e) {
      load.close();
      throw e;
    }
    return new Trial() {
      @Override
      public void warmUp() throws InterruptedException {
        load.run(rate, Duration.ZERO, warmup);
      }

      @Override
      public Figures measure() throws InterruptedException {
        OpenLoopLoad.Result r = load.run(rate, Duration.ZERO, duration);
        Map<String, Double> values = new HashMap<>();
        if (r.latencies().length > 0) {
          values.put("p50", r.quantile(0.5) / 1e6);
          values.put("p90", r.quantile(0.9) / 1e6);
          values.put("p99", r.quantile(0.99) / 1e6);
          values.put("rate", r.achievedRate());
        }
        long errors = r.errors() + r.unanswered();
        String first = r.firstError() != null ? r.firstError()
            : r.unanswered() > 0 ? r.unanswered() + " requests unanswered 10 s after the last was due" : null;
        return new Figures(values, r.latencies().length, errors, first);
      }

      @Override
      public void close() {
        load.close();
      }
    };
  }
}

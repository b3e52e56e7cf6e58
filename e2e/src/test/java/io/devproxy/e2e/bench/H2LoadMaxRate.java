package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /who} as fast as {@code h2load} (one thread) gets answers, closed loop: HTTP/1.1 ({@code --h1}, one
 * request at a time per connection) or h2c by prior knowledge (several streams per connection). The latencies are
 * those of a saturated route, from h2load's per-request log. The route's {@code x-served-by} is not checked here
 * (h2load cannot): the fixture's probe checked it over HTTP/1.1.
 */
final class H2LoadMaxRate implements Workload {

  private final Path h2load;
  private final Path work;
  private final boolean http1;
  private final int connections;
  private final int streams;
  private final Duration warmup;
  private final Duration duration;
  private int runs;

  /**
   * @param work where h2load's output and request logs go
   * @param streams concurrent streams per connection (h2load {@code -m}); 1 for HTTP/1.1
   */
  H2LoadMaxRate(Path h2load, Path work, boolean http1, int connections, int streams, Duration warmup,
      Duration duration) {
    this.h2load = requireNonNull(h2load, "h2load");
    this.work = requireNonNull(work, "work");
    this.http1 = http1;
    this.connections = connections;
    this.streams = streams;
    this.warmup = warmup;
    this.duration = duration;
  }

  @Override
  public String title() {
    return http1 ? "HTTP/1.1 GET, max rate" : "h2c GET, max rate";
  }

  @Override
  public String description() {
    return String.format(Locale.ROOT, "`GET /who` closed loop with `h2load%s -t 1 -c %d -m %d` (%d requests in "
        + "flight); latency percentiles at that saturation from h2load's `--log-file`; %s warm-up, %s measured.",
        http1 ? " --h1" : "", connections, streams, connections * streams, Durations.text(warmup),
        Durations.text(duration));
  }

  @Override
  public List<Metric> metrics() {
    return List.of(new Metric("rate", "req/s", false), new Metric("p50", "p50 ms", false),
        new Metric("p90", "p90 ms", false), new Metric("p99", "p99 ms", false));
  }

  @Override
  public Unit unit() {
    return new Unit("10k req", 10_000);
  }

  @Override
  public Trial open(Route route) {
    return new Trial() {
      @Override
      public void warmUp() throws IOException, InterruptedException {
        run(route, warmup);
      }

      @Override
      public Figures measure() throws IOException, InterruptedException {
        return run(route, duration);
      }

      @Override
      public void close() {}
    };
  }

  private Figures run(Route route, Duration time) throws IOException, InterruptedException {
    String name = (http1 ? "h1" : "h2c") + "-" + route.name() + "-" + (++runs);
    Path out = work.resolve("h2load-" + name + ".out");
    Path log = work.resolve("h2load-" + name + ".log");
    List<String> command = new ArrayList<>(List.of(h2load.toString()));
    if (http1) {
      command.add("--h1");
    }
    command.addAll(List.of("-t", "1", "-c", Integer.toString(connections), "-m", Integer.toString(streams),
        "-D", Durations.text(time), "--log-file", log.toString()));
    route.headers().forEach((header, value) -> command.addAll(List.of("-H", header + ": " + value)));
    command.add("http://" + AgentUnderTest.hostPort(route.target()) + "/who");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!process.waitFor(time.toSeconds() + 30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      return failed("h2load did not finish; see " + out);
    }
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    H2LoadOutput summary;
    try {
      summary = H2LoadOutput.parse(stdout);
    } catch (IllegalArgumentException e) {
      return failed("h2load exited with " + process.exitValue() + ", " + e.getMessage() + " (" + out + ")");
    }
    long[] latencies = Files.exists(log)
        ? H2LoadOutput.latencies(Files.readAllLines(log, StandardCharsets.UTF_8)) : new long[0];
    Files.deleteIfExists(log);
    Map<String, Double> values = new HashMap<>();
    if (summary.succeeded() > 0) {
      values.put("rate", summary.requestsPerSecond());
    }
    if (latencies.length > 0) {
      values.put("p50", Latencies.quantile(latencies, 0.5) / 1e6);
      values.put("p90", Latencies.quantile(latencies, 0.9) / 1e6);
      values.put("p99", Latencies.quantile(latencies, 0.99) / 1e6);
    }
    return new Figures(values, summary.done(), summary.failed(),
        summary.failed() > 0 ? summary.failed() + " requests failed (" + out + ")" : null);
  }

  private static Figures failed(String why) {
    return new Figures(Map.of(), 0, 1, why);
  }
}

package io.devproxy.e2e.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The command line of {@link Benchmarks}; {@code bench/run}'s header documents each option. Full mode by default,
 * {@code --quick} for CI (short, low rates, the report under e2e/target).
 */
final class BenchOptions {

  Path repo = Path.of("").toAbsolutePath();
  boolean quick;
  /** Whether to time {@code devproxy status} with bench/cli-startup; null: in full mode only. */
  Boolean cliStartup;
  Path out;
  Path workDir;
  Duration warmup;
  Duration duration;
  int httpRate;
  int grpcRate;
  int connections = 64;
  int h2cConnections = 4;
  int h2cStreams = 16;
  int grpcConcurrency = 64;
  int payloadBytes = 64 * 1024;
  /** The slow link's delay each way (a round trip is twice that); null: no slow-link section. */
  Duration linkDelay = Duration.ofMillis(10);
  /** The rate of the slow link's HTTP/1.1 latency table, low enough that no request queues behind another. */
  int slowLinkHttpRate = 50;
  int slowLinkConnections = 4;
  String java = ProcessHandle.current().info().command().orElse("java");
  /** Flags for the agent's JVM after the image's jvm.options, which they override (experiments, profiling). */
  List<String> agentJvmArgs = new ArrayList<>();
  /** The workloads to run, by {@link #WORKLOADS} name; all by default. */
  Set<String> only = WORKLOADS;

  /** The names {@code --only} takes. */
  static final Set<String> WORKLOADS = Set.of("http1-fixed", "http1-max", "h2c-max", "grpc-fixed", "grpc-max",
      "grpc-bulk", "slow-link");

  /** @throws IllegalArgumentException with a message for the user on a bad or unknown option */
  static BenchOptions parse(String[] args) {
    BenchOptions o = new BenchOptions();
    Duration warmup = null;
    Duration duration = null;
    Integer httpRate = null;
    Integer grpcRate = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--quick")) {
        o.quick = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + ": a value is missing");
      }
      String value = args[++i];
      switch (flag) {
        case "--repo" -> o.repo = Path.of(value).toAbsolutePath();
        case "--out" -> o.out = Path.of(value).toAbsolutePath();
        case "--work-dir" -> o.workDir = Path.of(value).toAbsolutePath();
        case "--warmup" -> warmup = duration(flag, value);
        case "--duration" -> duration = duration(flag, value);
        case "--http-rate" -> httpRate = positive(flag, value);
        case "--grpc-rate" -> grpcRate = positive(flag, value);
        case "--connections" -> o.connections = positive(flag, value);
        case "--grpc-concurrency" -> o.grpcConcurrency = positive(flag, value);
        case "--java" -> o.java = value;
        case "--agent-jvm-arg" -> o.agentJvmArgs.add(value);
        case "--link-delay" -> o.linkDelay = value.equals("off") ? null : duration(flag, value);
        case "--only" -> o.only = workloads(flag, value);
        case "--cli-startup" -> o.cliStartup = switch (value) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--cli-startup " + value + " (expected: on or off)");
        };
        default -> throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    o.warmup = warmup != null ? warmup : Duration.ofMillis(o.quick ? 500 : 2000);
    o.duration = duration != null ? duration : Duration.ofMillis(o.quick ? 1000 : 8000);
    o.httpRate = httpRate != null ? httpRate : o.quick ? 200 : 1000;
    o.grpcRate = grpcRate != null ? grpcRate : o.quick ? 200 : 1000;
    if (o.cliStartup == null) {
      o.cliStartup = !o.quick;
    }
    if (o.out == null) {
      // A partial run never replaces the full report.
      o.out = o.quick ? o.repo.resolve("e2e/target/bench/BENCHMARKS-quick.md")
          : !o.only.equals(WORKLOADS) ? o.repo.resolve("e2e/target/bench/BENCHMARKS-only.md")
          : o.repo.resolve("docs/BENCHMARKS.md");
    }
    return o;
  }

  /** Whether {@code --only} selects the workload {@code name} (one of {@link #WORKLOADS}). */
  boolean runs(String name) {
    return only.contains(name);
  }

  Path agentJar() {
    return repo.resolve("traffic-agent/target/devproxy-traffic-agent.jar");
  }

  Path jvmOptions() {
    return repo.resolve("images/traffic-agent/jvm.options");
  }

  /** {@code 500ms}, {@code 8s} or {@code 8} (seconds). */
  private static Duration duration(String flag, String value) {
    boolean millis = value.endsWith("ms");
    String number = millis ? value.substring(0, value.length() - 2)
        : value.endsWith("s") ? value.substring(0, value.length() - 1) : value;
    int n = positive(flag, number);
    return millis ? Duration.ofMillis(n) : Duration.ofSeconds(n);
  }

  private static Set<String> workloads(String flag, String value) {
    Set<String> names = Arrays.stream(value.split(",")).map(String::strip).collect(Collectors.toSet());
    if (!WORKLOADS.containsAll(names)) {
      throw new IllegalArgumentException(flag + " " + value + " (expected: a comma-separated list of "
          + WORKLOADS.stream().sorted().collect(Collectors.joining(", ")) + ")");
    }
    return Set.copyOf(names);
  }

  /** A whole number of at least 1, or an {@link IllegalArgumentException} naming {@code flag}. */
  static int positive(String flag, String value) {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1) {
      throw new IllegalArgumentException(flag + " " + value + " (expected: a whole number >= 1)");
    }
    return n;
  }
}

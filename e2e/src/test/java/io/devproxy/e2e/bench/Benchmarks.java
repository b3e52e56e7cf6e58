package io.devproxy.e2e.bench;

import io.devproxy.e2e.ambassador.HaproxyEdge;
import io.devproxy.sandbox.SandboxServer;
import io.devproxy.sandbox.greeter.GreeterServer;
import io.devproxy.sandbox.http.RestServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The bench of issue 7: every workload on every route of a section, in one run with the same clients and servers,
 * then a Markdown report (printed, and written to {@code --out}). The loopback section's routes: direct,
 * pass-through (agent → app), HAProxy, intercepted (agent → tunnel → daemon → local server); a {@link Fixture} per
 * kind of server (REST, Greeter). Another section is another list of tables built the same way in {@link #run()},
 * on fixtures of its own.
 *
 * <p>Run it through {@code bench/run}, whose header lists the options. Exit codes: 0 every workload produced
 * figures without errors; 1 one did not (the report still shows the rest); 2 a bad option; 6 the set-up failed
 * (a tool missing, an agent, HAProxy or route that does not work). It asserts nothing about speed.
 */
public final class Benchmarks {

  // The bulk workload ends its endless stream by cancelling it, which grpc-java's server logs as a stream error
  // with a stack trace, four times a run. Held here: JUL keeps loggers only weakly.
  private static final Logger GRPC_SERVER_HANDLER = Logger.getLogger("io.grpc.netty.NettyServerHandler");

  private final BenchOptions options;
  private final Path work;

  private Benchmarks(BenchOptions options, Path work) {
    this.options = options;
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    GRPC_SERVER_HANDLER.setLevel(Level.SEVERE);
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage() + "; see bench/run's header for the options");
      System.exit(2);
      return;
    }
    Path work = options.workDir != null ? Files.createDirectories(options.workDir)
        : Files.createTempDirectory("devproxy-bench");
    int code;
    try {
      code = new Benchmarks(options, work).run();
    } catch (SetupException e) {
      System.err.println("bench: " + e.getMessage() + " (files in " + work + ")");
      code = 6;
    }
    System.exit(code);
  }

  private int run() throws Exception {
    Path h2load = executable("h2load").orElseThrow(() -> new SetupException(
        "h2load is not installed: install the Debian package nghttp2-client"));
    Path haproxy = HaproxyEdge.executable().orElseThrow(() -> new SetupException(
        "haproxy is not installed: install the Debian package haproxy"));
    String loadAtStart = Machine.loadAverage();
    long began = System.nanoTime();
    List<Section> sections = new ArrayList<>();
    try (DaemonSide daemon = DaemonSide.create(work)) {
      AgentUnderTest.Launch launch = new AgentUnderTest.Launch(options.java, options.agentJar(),
          options.jvmOptions(), 128L << 20, options.agentJvmArgs, Map.of(), daemon.agentTlsDir(), work);
      sections.add(loopback(launch, daemon, h2load));
      if (options.linkDelay != null && options.runs("slow-link")) {
        sections.add(slowLink(launch, daemon, options.linkDelay));
      }
    }
    if (options.cliStartup) {
      sections.add(CliStartup.section(options.repo, work));
    }
    List<String> preamble = preamble(loadAtStart, Duration.ofNanos(System.nanoTime() - began), haproxy, h2load);
    String report = Report.render(preamble, sections);
    System.out.println(report);
    Files.createDirectories(options.out.getParent());
    Files.writeString(options.out, report, StandardCharsets.UTF_8);
    progress("report written to " + options.out);
    List<String> failed = sections.stream().flatMap(s -> s.tables().stream().filter(Table::failed)
        .map(t -> s.title() + ": " + t.workload().title())).toList();
    if (!failed.isEmpty()) {
      System.err.println("bench: errors or no figures in " + String.join("; ", failed) + "; see the report's "
          + "errors column and the files in " + work);
      return 1;
    }
    return 0;
  }

  /** Direct, pass-through, HAProxy and intercepted on loopback: REST workloads, then gRPC ones. */
  private Section loopback(AgentUnderTest.Launch launch, DaemonSide daemon, Path h2load) throws Exception {
    Duration warmup = options.warmup;
    Duration duration = options.duration;
    List<Table> tables = new ArrayList<>();
    if (options.runs("http1-fixed") || options.runs("http1-max") || options.runs("h2c-max")) {
      try (Fixture rest = fixture("rest", RestServer::new, HttpProbe::check, launch, daemon)) {
        if (options.runs("http1-fixed")) {
          tables.add(measure(new Http1FixedRate(options.httpRate, options.connections, warmup, duration),
              rest.routes(), latencyGoals()));
        }
        if (options.runs("http1-max")) {
          tables.add(measure(new H2LoadMaxRate(h2load, work, true, options.connections, 1, warmup, duration),
              rest.routes(), rateGoals()));
        }
        if (options.runs("h2c-max")) {
          tables.add(measure(new H2LoadMaxRate(h2load, work, false, options.h2cConnections, options.h2cStreams,
              warmup, duration), rest.routes(), rateGoals()));
        }
      }
    }
    if (options.runs("grpc-fixed") || options.runs("grpc-max") || options.runs("grpc-bulk")) {
      try (Fixture grpc = fixture("grpc", GreeterServer::new, GrpcClient::probe, launch, daemon)) {
        if (options.runs("grpc-fixed")) {
          tables.add(measure(new GrpcFixedRate(options.grpcRate, warmup, duration), grpc.routes(), latencyGoals()));
        }
        if (options.runs("grpc-max")) {
          tables.add(measure(new GrpcMaxRate(options.grpcConcurrency, warmup, duration), grpc.routes(),
              rateGoals()));
        }
        if (options.runs("grpc-bulk")) {
          tables.add(measure(new GrpcBulk(options.payloadBytes, warmup, duration), grpc.routes(),
              List.of(Goal.rateAtLeast(Route.INTERCEPTED, "mbps", 0.5, Route.DIRECT))));
        }
      }
    }
    return new Section("Loopback", "Every route on 127.0.0.1: **direct** (client → server), **pass-through** "
        + "(client → agent → app), **haproxy** (client → HAProxy → app) and **intercepted** (client with "
        + "`x-devproxy-session` → agent → mTLS gRPC tunnel → daemon's `TunnelIntercepts` → a local server of the "
        + "same kind as the app). Added latencies are over the direct route's; ratios are of the table's first "
        + "figure.", tables);
  }

  /**
   * Direct and intercepted, the daemon reaching the agent through a {@link DelayRelay} that adds {@code delay} each
   * way: a request costs one round trip over the link plus the service time, and bulk is bound by the tunnel's
   * flow-control window over that round trip.
   */
  private Section slowLink(AgentUnderTest.Launch launch, DaemonSide daemon, Duration delay) throws Exception {
    Duration warmup = options.warmup;
    Duration duration = options.duration;
    double roundTripMs = 2 * delay.toNanos() / 1e6;
    List<Goal> oneRoundTrip = List.of(Goal.interceptedTakesOneRoundTrip("p50", roundTripMs));
    List<Table> tables = new ArrayList<>();
    try (Fixture rest = fixture("rest-slow", RestServer::new, HttpProbe::check, launch, daemon, delay)) {
      tables.add(measure(new Http1FixedRate(options.slowLinkHttpRate, options.slowLinkConnections, warmup, duration),
          rest.routes(), oneRoundTrip));
    }
    try (Fixture grpc = fixture("grpc-slow", GreeterServer::new, GrpcClient::probe, launch, daemon, delay)) {
      tables.add(measure(new GrpcMaxRate(1, warmup, duration), grpc.routes(), oneRoundTrip));
      tables.add(measure(new GrpcBulk(options.payloadBytes, warmup, duration), grpc.routes(),
          List.of(Goal.rateAtLeast(Route.INTERCEPTED, "mbps", 25, "MB/s",
              "10× the 20 Mbit/s Telepresence measured for its tunnel at 20 ms round trip"))));
    }
    return new Section("Slow link", String.format(Locale.ROOT, "The tunnel between the daemon and the agent "
        + "crosses a relay that delays every byte by %s each way (a %s ms round trip, as between a laptop and a "
        + "cloud region): **direct** is the service time (client → server on loopback), **intercepted** goes "
        + "client → agent → tunnel over the slow link → daemon → local server. A request should cost one round trip "
        + "over the link plus the service time: the daemon keeps idle tunnel streams open, so none is opened "
        + "per request.", Durations.text(delay), Report.number(roundTripMs)), tables);
  }

  private static List<Goal> latencyGoals() {
    return List.of(Goal.passThroughAddsAtMostHaproxy("p50"), Goal.passThroughAddsAtMostHaproxy("p99"),
        Goal.interceptedAddsAtMostTimesHaproxy("p50", 2));
  }

  private static List<Goal> rateGoals() {
    return List.of(Goal.rateAtLeast(Route.PASS_THROUGH, "rate", 0.8, Route.HAPROXY));
  }

  private Fixture fixture(String kind, Function<String, SandboxServer> servers, Fixture.Probe probe,
      AgentUnderTest.Launch launch, DaemonSide daemon) throws SetupException {
    return fixture(kind, servers, probe, launch, daemon, Duration.ZERO);
  }

  private Fixture fixture(String kind, Function<String, SandboxServer> servers, Fixture.Probe probe,
      AgentUnderTest.Launch launch, DaemonSide daemon, Duration tunnelDelay) throws SetupException {
    progress(kind + ": starting the servers, the agent, " + (tunnelDelay.isZero() ? "HAProxy and the intercept"
        : "the slow link and the intercept"));
    try {
      return Fixture.start(kind, servers, probe, launch, daemon, work, tunnelDelay);
    } catch (Exception e) {
      throw new SetupException(e.getMessage(), e);
    }
  }

  /** {@code workload} on each route in turn: open, warm up, measure with the agent's CPU and RSS read around it. */
  private Table measure(Workload workload, List<Route> routes, List<Goal> goals) {
    List<Table.Row> rows = new ArrayList<>();
    for (Route route : routes) {
      progress(workload.title() + " / " + route.name());
      Workload.Figures figures;
      ProcSampler.Sample before = null;
      ProcSampler.Sample after = null;
      try (Workload.Trial trial = workload.open(route)) {
        trial.warmUp();
        before = route.agent() == null ? null : ProcSampler.read(route.agent().pid());
        figures = trial.measure();
        after = route.agent() == null ? null : ProcSampler.read(route.agent().pid());
      } catch (Exception e) {
        figures = new Workload.Figures(Map.of(), 0, 1, e.toString());
      }
      double cpu = Double.NaN;
      long rss = -1;
      if (before != null && after != null) {
        double seconds = (after.cpuTicks() - before.cpuTicks()) / (double) ProcSampler.ticksPerSecond();
        cpu = figures.work() > 0 ? seconds / (figures.work() / workload.unit().size()) : Double.NaN;
        rss = after.rssKib();
      }
      if (figures.errors() > 0) {
        progress("  " + figures.errors() + " errors, first: " + figures.firstError());
      }
      rows.add(new Table.Row(route, figures, cpu, rss));
    }
    return new Table(workload, rows, goals);
  }

  private List<String> preamble(String loadAtStart, Duration took, Path haproxy, Path h2load) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("`bench/run" + (options.quick ? " --quick" : "") + "`, "
        + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")) + ", "
        + took.toSeconds() + " s. One run: every route measured with the same clients and servers, one after "
        + "the other, all on one machine (clients, servers, agent and proxies compete for its cores: compare "
        + "routes within a table, not across machines).");
    lines.add("");
    lines.add("- machine: " + Machine.cores() + "; load average " + loadAtStart + " at the start, "
        + Machine.loadAverage() + " at the end");
    lines.add("- JVM (bench driver and agent): " + Machine.jvm());
    lines.add("- agent: `traffic-agent/target/devproxy-traffic-agent.jar` in a process of its own, as the image "
        + "runs it: `java -XX:MaxRAM=128Mi @images/traffic-agent/jvm.options -jar` (" + String.join(" ",
            Files.readAllLines(options.jvmOptions()).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) + ")"
        + (options.agentJvmArgs.isEmpty() ? "" : "; **not as the image runs it**: also `"
            + String.join(" ", options.agentJvmArgs) + "`"));
    lines.add("- " + firstLine(haproxy.toString(), "-v") + " (default threads: one per core; h1 to the app over "
        + "HTTP/1.1, h2c and gRPC over `proto h2`); " + firstLine(h2load.toString(), "--version"));
    lines.add("- servers: sandbox `RestServer` (HTTP/1.1 + h2c) and `GreeterServer` (grpc-java), app and local "
        + "copy alike, in the bench's JVM with the daemon side and the Java clients");
    lines.add("- how much two runs of one build differ, and what was changed because of these figures with before and "
        + "after: [BENCHMARKS-HISTORY.md](BENCHMARKS-HISTORY.md)");
    return lines;
  }

  private static String firstLine(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor(10, TimeUnit.SECONDS);
      return out.lines().findFirst().orElse(command[0]);
    } catch (IOException e) {
      return command[0];
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return command[0];
    }
  }

  private static Optional<Path> executable(String name) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Stream.of(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable).findFirst();
  }

  private static void progress(String line) {
    System.err.println("[bench] " + line);
  }

  /** The bench cannot run: a tool is missing or a route does not work. The message says which. */
  private static final class SetupException extends Exception {
    SetupException(String message) {
      super(message);
    }

    SetupException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}

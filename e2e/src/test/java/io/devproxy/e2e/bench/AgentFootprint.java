package io.devproxy.e2e.bench;

import io.devproxy.sandbox.http.RestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The traffic agent's footprint, measured: start-up time to {@code /readyz} 200, RSS idle, and RSS, CPU and
 * latency at a fixed request rate through the agent, pass-through (no session matches: agent → app) and
 * intercepted (agent → mTLS tunnel → daemon → local server). The agent runs as a process of its own with the
 * image's {@code jvm.options}; the app, the daemon's intercept engine, the local server and the load run in this
 * JVM. Run it through {@code bench/agent-footprint}, whose header lists the options. Measures and reports; it
 * asserts nothing about speed or memory, only that no request failed (exit code 1 otherwise).
 */
public final class AgentFootprint {

  private final Options options;
  private final Path work;
  private final List<String> report = new ArrayList<>();
  private final List<String> results = new ArrayList<>();
  private long totalErrors;

  private AgentFootprint(Options options, Path work) {
    this.options = options;
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path work = options.workDir != null ? Files.createDirectories(options.workDir)
        : Files.createTempDirectory("agent-footprint");
    AgentFootprint bench = new AgentFootprint(options, work);
    bench.run();
    System.exit(bench.totalErrors == 0 ? 0 : 1);
  }

  private void run() throws Exception {
    try (DaemonSide daemon = DaemonSide.create(work)) {
      run(daemon);
    }
    System.out.println(String.join("\n", report));
    System.out.println();
    results.forEach(System.out::println);
  }

  private void run(DaemonSide daemon) throws Exception {
    AgentUnderTest.Launch launch = new AgentUnderTest.Launch(options.java, options.jar, options.jvmOptions,
        options.maxRam, options.jvmArgs(), options.env, daemon.agentTlsDir(), work);
    report.add("## Agent footprint" + (options.label.isEmpty() ? "" : ": " + options.label));
    report.add("");
    report.add("- JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + "; " + Runtime.getRuntime().availableProcessors() + " CPUs; load average at start "
        + Machine.loadAverage());
    report.add("- agent: `" + options.java + "`, flags `" + String.join(" ", launch.jvmArgs()) + "`"
        + (options.env.isEmpty() ? "" : ", env " + options.env)
        + (options.jvmOptions == null ? "" : " (" + String.join(" ", readOptions(options.jvmOptions)) + ")"));
    report.add("- load: " + options.rate + " req/s open loop, " + options.connections + " keep-alive HTTP/1.1"
        + " connections, GET /who, " + options.warmup.toSeconds() + " s warm-up + " + options.duration.toSeconds()
        + " s measured; work dir " + work);
    report.add("");

    try (RestServer cluster = new RestServer("cluster"); RestServer local = new RestServer("local")) {
      cluster.start();
      local.start();
      if (options.cases.contains("startup")) {
        startup(launch, cluster);
      }
      report.add("| case | RSS at ready | RSS idle " + options.idle.toSeconds() + " s | RSS at load, median | "
          + "RSS max (VmHWM) | agent CPU | answered req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | "
          + "backlog at end |");
      report.add("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
      if (options.cases.contains("passthrough")) {
        load("pass-through", launch, cluster, daemon, null);
      }
      if (options.cases.contains("intercepted")) {
        load("intercepted", launch, cluster, daemon, local);
      }
    }
  }

  /** Starts the agent {@code starts} times; the time to the first /readyz 200 and the RSS right then. */
  private void startup(AgentUnderTest.Launch launch, RestServer app) throws Exception {
    long[] millis = new long[options.starts];
    long[] rss = new long[options.starts];
    for (int i = 0; i < options.starts; i++) {
      try (AgentUnderTest agent = AgentUnderTest.start(launch, app.address())) {
        millis[i] = agent.awaitReady(Duration.ofSeconds(30)).toMillis();
        ProcSampler.Sample at = ProcSampler.read(agent.pid());
        rss[i] = at == null ? -1 : at.rssKib();
        progress("start " + (i + 1) + "/" + options.starts + ": ready in " + millis[i] + " ms, RSS " + mib(rss[i]));
      }
    }
    long[] sorted = millis.clone();
    Arrays.sort(sorted);
    long[] rssSorted = rss.clone();
    Arrays.sort(rssSorted);
    report.add("Start to /readyz 200 (" + options.starts + " starts): median **" + median(sorted) + " ms** (min "
        + sorted[0] + ", max " + sorted[sorted.length - 1] + "); RSS at ready median " + mib(median(rssSorted))
        + ". All: " + Arrays.toString(millis) + " ms.");
    report.add("");
    results.add(result("startup", Map.of("ready_ms_median", Long.toString(median(sorted)),
        "ready_ms_min", Long.toString(sorted[0]), "ready_ms_max", Long.toString(sorted[sorted.length - 1]),
        "rss_ready_mib", mibNumber(median(rssSorted)))));
  }

  /** One agent, idle then under load; with {@code local}, requests carry the session header of an intercept. */
  private void load(String name, AgentUnderTest.Launch launch, RestServer app, DaemonSide daemon, RestServer local)
      throws Exception {
    AutoCloseable intercept = null;
    try (AgentUnderTest agent = AgentUnderTest.start(launch, app.address());
        ProcSampler sampler = new ProcSampler(agent.pid())) {
      agent.awaitReady(Duration.ofSeconds(30));
      ProcSampler.Sample ready = sampler.sampleNow();
      Map<String, String> headers = Map.of();
      String expect = app.who();
      if (local != null) {
        intercept = daemon.intercept("bench", agent, local.port());
        headers = Map.of(DaemonSide.SESSION_HEADER, DaemonSide.KEY);
        expect = local.who();
      }
      progress(name + ": ready, RSS " + mib(ready.rssKib()) + "; idle " + options.idle.toSeconds() + " s");
      Thread.sleep(options.idle.toMillis());
      ProcSampler.Sample idle = sampler.sampleNow();
      progress(name + ": idle RSS " + mib(idle.rssKib()) + "; " + options.rate + " req/s for "
          + (options.warmup.toSeconds() + options.duration.toSeconds()) + " s");
      OpenLoopLoad.Result r;
      long from;
      List<ProcSampler.Sample> driverWindow;
      try (OpenLoopLoad load = new OpenLoopLoad(agent.listen(), options.connections, "/who", headers, expect);
          ProcSampler driver = new ProcSampler(ProcessHandle.current().pid())) {
        load.connect();
        long begin = System.nanoTime();
        from = begin + options.warmup.toNanos();
        r = load.run(options.rate, options.warmup, options.duration);
        driverWindow = driver.between(from, System.nanoTime());
      }
      long to = System.nanoTime();
      List<ProcSampler.Sample> window = sampler.between(from, to);
      ProcSampler.Sample last = sampler.sampleNow();
      ProcSampler.Sample before = window.isEmpty() ? last : window.get(0);
      if (options.nmt) {
        jcmd(agent.pid(), name, "VM.native_memory", "summary");
        jcmd(agent.pid(), name, "GC.heap_info");
      }
      long[] rss = window.stream().mapToLong(ProcSampler.Sample::rssKib).sorted().toArray();
      double cpu = cpuPercent(before, last);
      double driverCpu = driverWindow.isEmpty() ? Double.NaN
          : cpuPercent(driverWindow.get(0), driverWindow.get(driverWindow.size() - 1));
      long hwm = last == null ? -1 : last.hwmKib();
      totalErrors += r.errors();
      report.add("| " + name + " | " + mib(ready.rssKib()) + " | " + mib(idle.rssKib()) + " | "
          + (rss.length == 0 ? "-" : mib(median(rss))) + " | " + mib(hwm) + " | "
          + String.format(Locale.ROOT, "%.0f%% (driver %.0f%%)", cpu, driverCpu) + " | "
          + String.format(Locale.ROOT, "%.0f", r.achievedRate())
          + " | " + ms(r.quantile(0.5)) + " | " + ms(r.quantile(0.99)) + " | " + ms(r.quantile(0.999)) + " | "
          + ms(r.quantile(1.0)) + " | " + r.errors() + (r.firstError() == null ? "" : " (" + r.firstError() + ")")
          + " | " + r.unanswered() + " |");
      Map<String, String> values = new TreeMap<>();
      values.put("rss_ready_mib", mibNumber(ready.rssKib()));
      values.put("rss_idle_mib", mibNumber(idle.rssKib()));
      values.put("rss_load_median_mib", rss.length == 0 ? "-" : mibNumber(median(rss)));
      values.put("rss_hwm_mib", mibNumber(hwm));
      values.put("cpu_pct", String.format(Locale.ROOT, "%.0f", cpu));
      values.put("driver_cpu_pct", String.format(Locale.ROOT, "%.0f", driverCpu));
      values.put("rate", String.format(Locale.ROOT, "%.0f", r.achievedRate()));
      values.put("p50_ms", ms(r.quantile(0.5)));
      values.put("p99_ms", ms(r.quantile(0.99)));
      values.put("errors", Long.toString(r.errors()));
      values.put("backlog", Long.toString(r.unanswered()));
      values.put("max_queued", Integer.toString(r.maxQueued()));
      results.add(result(name, values));
      progress(name + ": done, " + r.errors() + " errors, " + r.unanswered() + " unanswered at the end, at most "
          + r.maxQueued() + " requests waited for a connection, " + r.connectionsLost() + " connections lost");
    } finally {
      if (intercept != null) {
        intercept.close();
      }
    }
  }

  /** CPU time between two readings as a percentage of one core; NaN without two readings. */
  private static double cpuPercent(ProcSampler.Sample from, ProcSampler.Sample to) {
    if (from == null || to == null || to.nanos() <= from.nanos()) {
      return Double.NaN;
    }
    double seconds = (to.nanos() - from.nanos()) / 1e9;
    return 100.0 * (to.cpuTicks() - from.cpuTicks()) / ProcSampler.ticksPerSecond() / seconds;
  }

  private void jcmd(long pid, String name, String... command) throws IOException, InterruptedException {
    Path out = work.resolve(name + "-" + command[0].toLowerCase(Locale.ROOT) + ".txt");
    List<String> line = new ArrayList<>(List.of(Path.of(options.java).resolveSibling("jcmd").toString(),
        Long.toString(pid)));
    line.addAll(List.of(command));
    new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(out.toFile()).start().waitFor(30,
        TimeUnit.SECONDS);
    progress(name + ": " + String.join(" ", command) + " → " + out);
  }

  private String result(String name, Map<String, String> values) {
    StringBuilder line = new StringBuilder("RESULT label=" + (options.label.isEmpty() ? "-" : options.label)
        + " case=" + name);
    values.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> line.append(' ').append(e.getKey()).append('=').append(e.getValue()));
    return line.toString();
  }

  private static List<String> readOptions(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  private static long median(long[] sorted) {
    return sorted.length == 0 ? -1 : sorted[(sorted.length - 1) / 2];
  }

  private static String mib(long kib) {
    return kib < 0 ? "-" : mibNumber(kib) + " MiB";
  }

  private static String mibNumber(long kib) {
    return String.format(Locale.ROOT, "%.1f", kib / 1024.0);
  }

  private static String ms(long nanos) {
    return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }

  private static void progress(String line) {
    System.err.println("[agent-footprint] " + line);
  }

  /** The command line; see {@code bench/agent-footprint} for what each option means. */
  static final class Options {
    Path repo = Path.of("").toAbsolutePath();
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar;
    Path jvmOptions;
    boolean noJvmOptions;
    long maxRam = 128L << 20;
    final List<String> extraJvmArgs = new ArrayList<>();
    final Map<String, String> env = new LinkedHashMap<>();
    int starts = 10;
    Duration idle = Duration.ofSeconds(30);
    Duration warmup = Duration.ofSeconds(5);
    Duration duration = Duration.ofSeconds(30);
    int rate = 2000;
    int connections = 64;
    List<String> cases = List.of("startup", "passthrough", "intercepted");
    boolean nmt;
    String label = "";
    Path workDir;

    List<String> jvmArgs() {
      List<String> args = new ArrayList<>(extraJvmArgs);
      if (nmt) {
        args.add("-XX:NativeMemoryTracking=summary");
      }
      return args;
    }

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (flag.equals("--quick")) {
          o.starts = 3;
          o.idle = Duration.ofSeconds(1);
          o.warmup = Duration.ofSeconds(1);
          o.duration = Duration.ofSeconds(2);
          continue;
        }
        if (flag.equals("--nmt")) {
          o.nmt = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + ": a value is missing");
        }
        String value = args[++i];
        switch (flag) {
          case "--repo" -> o.repo = Path.of(value).toAbsolutePath();
          case "--java" -> o.java = value;
          case "--jar" -> o.jar = Path.of(value).toAbsolutePath();
          case "--jvm-options" -> {
            o.noJvmOptions = value.equals("none");
            o.jvmOptions = o.noJvmOptions ? null : Path.of(value).toAbsolutePath();
          }
          case "--max-ram" -> o.maxRam = bytes(value);
          case "--jvm-arg" -> o.extraJvmArgs.add(value);
          case "--env" -> {
            int eq = value.indexOf('=');
            if (eq < 1) {
              throw new IllegalArgumentException("--env " + value + " (expected: NAME=VALUE)");
            }
            o.env.put(value.substring(0, eq), value.substring(eq + 1));
          }
          case "--starts" -> o.starts = BenchOptions.positive(flag, value);
          case "--idle" -> o.idle = Duration.ofSeconds(Integer.parseInt(value));
          case "--warmup" -> o.warmup = Duration.ofSeconds(Integer.parseInt(value));
          case "--duration" -> o.duration = Duration.ofSeconds(BenchOptions.positive(flag, value));
          case "--rate" -> o.rate = BenchOptions.positive(flag, value);
          case "--connections" -> o.connections = BenchOptions.positive(flag, value);
          case "--cases" -> o.cases = List.of(value.split(","));
          case "--label" -> o.label = value;
          case "--work-dir" -> o.workDir = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      if (o.jar == null) {
        o.jar = o.repo.resolve("traffic-agent/target/devproxy-traffic-agent.jar");
      }
      if (o.jvmOptions == null && !o.noJvmOptions) {
        o.jvmOptions = o.repo.resolve("images/traffic-agent/jvm.options");
      }
      return o;
    }

    /** {@code 192Mi}, {@code 256m}, {@code 1Gi}, a number of bytes, or {@code none} (0: no -XX:MaxRAM). */
    static long bytes(String value) {
      if (value.equals("none")) {
        return 0;
      }
      String v = value.toLowerCase(Locale.ROOT).replace("i", "");
      long unit = v.endsWith("k") ? 1L << 10 : v.endsWith("m") ? 1L << 20 : v.endsWith("g") ? 1L << 30 : 1;
      return Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1)) * unit;
    }
  }
}

package io.devproxy.cli.demo;

import io.devproxy.cli.Renderer;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.sandbox.http.SampleApp;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.UserPki;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The demo's steps: the cluster's version, the agent in front of it, the local build, the intercept, requests
 * with and without the developer's marker, latency, then leave and quit. Everything started goes into the
 * {@link DemoStack}, which the caller closes whatever happens. {@link #step()} names the step under way, for
 * the failure line.
 */
final class Demo {

  /** The intercept's name. */
  static final String NAME = "demo";

  static final String CLUSTER = "cluster";
  static final String LOCAL = "local";

  static final Duration AGENT_READY_TIMEOUT = Duration.ofSeconds(30);
  static final int AGENT_START_ATTEMPTS = 3;
  static final int STREAM_REPLIES = 5;

  private final DemoStack stack;
  private final Renderer renderer;
  private final DemoOutput out;
  private final int calls;
  private final String key = DemoIdentity.sessionKey();
  private volatile String step = "starting";

  /** @param calls gRPC calls per latency measurement */
  Demo(DemoStack stack, Renderer renderer, DemoOutput out, int calls) {
    this.stack = stack;
    this.renderer = renderer;
    this.out = out;
    this.calls = calls;
  }

  /** The step under way, e.g. {@code starting the traffic agent}. */
  String step() {
    return step;
  }

  void run() throws Exception {
    out.title("devproxy demo: an intercept on this machine, with the real agent and daemon processes",
        "(a demo daemon in " + stack.dir() + "; your own daemon and intercepts are untouched)");

    step = "starting the cluster's version";
    SampleApp cluster = stack.add(new SampleApp(CLUSTER));
    InetSocketAddress clusterAddress = cluster.start();
    out.step("the version running in the cluster: SampleApp \"" + CLUSTER + "\" on " + hostPort(clusterAddress));

    step = "starting the traffic agent";
    Path jar = AgentJar.locate();
    writeAgentTls();
    long agentStart = System.nanoTime();
    AgentProcess agent = startAgent(jar, clusterAddress);
    AgentProcess.Ports ports = agent.ports();
    out.step("the traffic agent in front of it: java -jar " + jar.getFileName() + " (pid " + agent.pid() + "), ready in "
        + seconds(System.nanoTime() - agentStart));
    out.detail("service port " + hostPort(ports.listen()) + "   tunnel " + hostPort(ports.tunnel()) + "   admin "
        + hostPort(ports.admin()));

    step = "starting your local build";
    SampleApp local = stack.add(new SampleApp(LOCAL));
    InetSocketAddress localAddress = local.start();
    out.step("your local build: SampleApp \"" + LOCAL + "\" on " + hostPort(localAddress));

    step = "devproxy intercept";
    DemoDaemon daemon = stack.add(stack.daemon());
    InterceptRequest request = InterceptRequest.newBuilder()
        .setName(NAME)
        .setAgentAddress(hostPort(ports.tunnel()))
        .setLocalPort(localAddress.getPort())
        .setLocalProtocol("auto")
        .setKey(key)
        .build();
    out.step("devproxy intercept " + NAME + " --agent-address " + request.getAgentAddress() + " --port "
        + request.getLocalPort() + " --key " + key);
    InterceptInfo info = daemon.intercept(request, renderer);
    out.detail(info.getState().toLowerCase(Locale.ROOT) + ", matching " + info.getMatcher());
    out.detail("demo daemon pid " + daemon.pid() + ", tunnel over mTLS to the agent");

    step = "sending requests";
    out.step("requests to the service port " + hostPort(ports.listen()) + ", as other services would send them");
    try (DemoTraffic traffic = new DemoTraffic(ports.listen(), clusterAddress, key)) {
      sendProbes(probes(traffic));
      step = "measuring latency";
      measureLatency(traffic);
    }

    step = "devproxy leave";
    out.step("devproxy leave " + NAME + "; devproxy quit (the demo daemon)");
    daemon.leave(NAME);
    out.detail("left " + NAME);
    step = "devproxy quit";
    if (!daemon.quit(renderer)) {
      throw new DevproxyException(ErrorCategory.INTERNAL,
          "the demo daemon accepted quit but still runs after " + DemoDaemon.STOP_TIMEOUT.toSeconds() + " s");
    }
    out.detail("daemon stopped");
    step = "stopping the traffic agent";
    if (!agent.stop()) {
      throw new DevproxyException(ErrorCategory.INTERNAL, "the traffic agent (pid " + agent.pid() + ") did not stop");
    }
    out.detail("traffic agent stopped");
    step = "cleaning up";
  }

  /** The agent's TLS directory, written as {@code devproxy certs agent} writes it, by the demo home's CA. */
  private void writeAgentTls() throws DevproxyException {
    try {
      UserPki.loadOrCreate(stack.home().pkiDir(), DemoIdentity.owner())
          .writeAgentTlsDir(stack.agentTlsDir(), List.of(), List.of());
    } catch (IOException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot write the agent's TLS files to " + stack.agentTlsDir() + ": " + e.getMessage(), e);
    }
  }

  /** Starts the agent on three free ports; again on others when one was taken in between. */
  private AgentProcess startAgent(Path jar, InetSocketAddress app) throws DevproxyException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      AgentProcess.Ports ports;
      try {
        ports = AgentProcess.Ports.free();
      } catch (IOException e) {
        throw new DevproxyException(ErrorCategory.CONFIG, "no free loopback port: " + e.getMessage(), e);
      }
      AgentProcess agent =
          stack.add(AgentProcess.start(jar, ports, stack.agentTlsDir(), app, stack.agentLog()));
      try {
        agent.awaitReady(AGENT_READY_TIMEOUT);
        return agent;
      } catch (AgentProcess.AgentExitedException e) {
        if (!e.portTaken() || attempt == AGENT_START_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private List<Probe> probes(DemoTraffic traffic) {
    List<Probe> probes = new ArrayList<>();
    for (Marker marker : List.of(Marker.NONE, Marker.HEADER)) {
      probes.add(new Probe("gRPC SayHello", marker, expected(marker), () -> List.of(traffic.sayHello(marker))));
    }
    for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
      String what = "GET /who over " + (version == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1");
      for (Marker marker : List.of(Marker.NONE, Marker.HEADER)) {
        probes.add(new Probe(what, marker, expected(marker), () -> List.of(traffic.getWho(version, marker))));
      }
    }
    probes.add(new Probe("gRPC SayHelloStream", Marker.HEADER, LOCAL,
        () -> traffic.sayHelloStream(Marker.HEADER, STREAM_REPLIES)));
    probes.add(new Probe("gRPC SayHello", Marker.BAGGAGE, LOCAL, () -> List.of(traffic.sayHello(Marker.BAGGAGE))));
    return probes;
  }

  private static String expected(Marker marker) {
    return marker == Marker.NONE ? CLUSTER : LOCAL;
  }

  /** Sends each probe and prints who served it; fails after all were sent when any reached the wrong app. */
  private void sendProbes(List<Probe> probes) throws DevproxyException {
    List<String[]> labels = new ArrayList<>();
    for (Probe probe : probes) {
      labels.add(new String[] {probe.what(), probe.marker().describe(key)});
    }
    int[] widths = DemoOutput.widths(labels);
    int wrong = 0;
    for (int i = 0; i < probes.size(); i++) {
      Probe probe = probes.get(i);
      String[] label = labels.get(i);
      List<String> servedBy;
      try {
        servedBy = probe.call().servedBy();
      } catch (Exception e) {
        out.row(new String[] {label[0], label[1], out.arrow() + " failed"}, widths);
        throw new DevproxyException(ErrorCategory.INTERNAL,
            probe.what() + (label[1].isEmpty() ? "" : " with " + label[1]) + " failed: " + e.getMessage(), e);
      }
      boolean ok = probe.asExpected(servedBy);
      if (!ok) {
        wrong++;
      }
      out.row(new String[] {label[0], label[1],
          out.arrow() + " " + Probe.describe(servedBy) + (ok ? "" : "   (expected " + probe.expected() + ")")}, widths);
    }
    if (wrong > 0) {
      throw new DevproxyException(ErrorCategory.INTERNAL,
          wrong + " of " + probes.size() + " requests reached the wrong version");
    }
  }

  /**
   * Sequential gRPC {@code SayHello} calls, round robin over three paths so that the JIT, the CPU clock and
   * other processes weigh on each alike: straight to the app, through the agent to the app (unmatched), and
   * through the agent, tunnel and daemon to the local build (matched). A quarter as many calls first, untimed,
   * to warm up.
   */
  private void measureLatency(DemoTraffic traffic) {
    out.step("latency: " + calls + " sequential gRPC SayHello calls per path, after " + Math.max(1, calls / 4)
        + " to warm up");
    for (int i = 0; i < Math.max(1, calls / 4); i++) {
      traffic.timeSayHelloDirect();
      traffic.timeSayHello(Marker.NONE);
      traffic.timeSayHello(Marker.HEADER);
    }
    long[] direct = new long[calls];
    long[] unmatched = new long[calls];
    long[] matched = new long[calls];
    for (int i = 0; i < calls; i++) {
      direct[i] = traffic.timeSayHelloDirect();
      unmatched[i] = traffic.timeSayHello(Marker.NONE);
      matched[i] = traffic.timeSayHello(Marker.HEADER);
    }
    LatencySummary directSummary = LatencySummary.of(direct);
    LatencySummary unmatchedSummary = LatencySummary.of(unmatched);
    LatencySummary matchedSummary = LatencySummary.of(matched);
    String arrow = " " + out.arrow() + " ";
    List<String[]> rows = List.of(
        latencyRow("direct", "client" + arrow + "app, no agent", directSummary),
        latencyRow("unmatched", "client" + arrow + "agent" + arrow + "app", unmatchedSummary),
        latencyRow("matched", "client" + arrow + "agent" + arrow + "tunnel" + arrow + "daemon" + arrow + "local", matchedSummary));
    int[] widths = DemoOutput.widths(rows);
    rows.forEach(row -> out.row(row, widths));
    long added = matchedSummary.addedP50Nanos(unmatchedSummary);
    out.detail(added > 0
        ? "the tunnel adds " + LatencySummary.millis(added) + " at p50 (matched vs unmatched)"
        : "the tunnel adds no measurable latency at p50 (matched vs unmatched)");
  }

  private static String[] latencyRow(String name, String path, LatencySummary summary) {
    return new String[] {name, path, "p50 " + LatencySummary.millis(summary.p50Nanos()),
        "p99 " + LatencySummary.millis(summary.p99Nanos())};
  }

  /** {@code 127.0.0.1:8080}, {@code [::1]:8080}. */
  static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}

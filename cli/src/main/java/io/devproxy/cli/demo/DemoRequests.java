package io.devproxy.cli.demo;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The demo's requests through the agent, each printed with who served it, and its latency figures. The
 * requests not marked as the developer's must reach {@link Demo#CLUSTER}, the marked ones {@link Demo#LOCAL}.
 */
final class DemoRequests {

  static final int STREAM_REPLIES = 5;

  private final DemoTraffic traffic;
  private final DemoOutput out;
  private final String key;
  private final BooleanSupplier stopped;

  /** @param stopped whether the demo was stopped (Ctrl-C), so that a failed request is not reported */
  DemoRequests(DemoTraffic traffic, DemoOutput out, String key, BooleanSupplier stopped) {
    this.traffic = traffic;
    this.out = out;
    this.key = key;
    this.stopped = stopped;
  }

  private List<Probe> probes() {
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
    probes.add(new Probe("gRPC SayHelloStream", Marker.HEADER, Demo.LOCAL,
        () -> traffic.sayHelloStream(Marker.HEADER, STREAM_REPLIES)));
    probes.add(new Probe("gRPC SayHello", Marker.BAGGAGE, Demo.LOCAL, () -> List.of(traffic.sayHello(Marker.BAGGAGE))));
    return probes;
  }

  private static String expected(Marker marker) {
    return marker == Marker.NONE ? Demo.CLUSTER : Demo.LOCAL;
  }

  /** Sends each probe and prints who served it; fails after all were sent when any reached the wrong app. */
  void send() throws DevproxyException {
    List<Probe> probes = probes();
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
        if (stopped.getAsBoolean()) {
          // Ctrl-C stopped the agent under the request: nothing to report.
          throw new DevproxyException(ErrorCategory.INTERNAL, "the demo was stopped", e);
        }
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
  void measureLatency(int calls) {
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
}

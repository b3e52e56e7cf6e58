package io.devproxy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.cli.OutputFormat;
import io.devproxy.cli.Renderer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoOutputTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final Renderer renderer = new Renderer(new PrintWriter(out), new PrintWriter(err), OutputFormat.TABLE);

  @Test
  void stepsAreNumberedAndDetailsIndented() {
    DemoOutput output = new DemoOutput(renderer, true);

    output.title("title");
    output.step("first");
    output.detail("under it");
    output.step("second");

    assertThat(out.toString().lines()).containsExactly("title", "", "1. first", "   under it", "2. second");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void rowsLineUpTheirLastColumn() {
    DemoOutput output = new DemoOutput(renderer, true);
    List<String[]> labels = List.of(new String[] {"gRPC SayHello", ""}, new String[] {"GET /who", "x-devproxy-session: a"});
    int[] widths = DemoOutput.widths(labels);

    output.row(new String[] {"gRPC SayHello", "", "→ served by cluster"}, widths);
    output.row(new String[] {"GET /who", "x-devproxy-session: a", "→ served by local"}, widths);

    List<String> lines = out.toString().lines().toList();
    assertThat(lines.get(0).indexOf('→')).isEqualTo(lines.get(1).indexOf('→'));
    assertThat(lines).allSatisfy(line -> assertThat(line).doesNotEndWith(" "));
  }

  @Test
  void failureIsOneLineOnStderrNamingTheLogs() {
    new DemoOutput(renderer, true).failure("starting the traffic agent failed: boom", Path.of("/tmp/d/logs"));

    assertThat(err.toString()).isEqualTo("devproxy demo: starting the traffic agent failed: boom (logs: /tmp/d/logs)"
        + System.lineSeparator());
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void arrowFallsBackToAsciiWhereStdoutCannotShowIt() {
    assertThat(new DemoOutput(renderer, true).arrow()).isEqualTo("→");
    assertThat(new DemoOutput(renderer, false).arrow()).isEqualTo("->");
  }

  @Test
  void probesDescribeWhoServedThem() {
    Probe probe = new Probe("gRPC SayHelloStream", Marker.HEADER, "local", List::of);

    assertThat(Probe.describe(List.of("local"))).isEqualTo("served by local");
    assertThat(Probe.describe(List.of("local", "local", "local"))).isEqualTo("3 replies, served by local");
    assertThat(Probe.describe(List.of("local", "cluster"))).isEqualTo("2 replies, served by local and cluster");
    assertThat(probe.asExpected(List.of("local", "local"))).isTrue();
    assertThat(probe.asExpected(List.of("local", "cluster"))).isFalse();
    assertThat(probe.asExpected(List.of())).isFalse();
  }

  @Test
  void markersReadAsTheHeaderTheySend() {
    assertThat(Marker.NONE.describe("alice")).isEmpty();
    assertThat(Marker.HEADER.describe("alice")).isEqualTo("x-devproxy-session: alice");
    assertThat(Marker.BAGGAGE.describe("alice")).isEqualTo("baggage: devproxy-session=alice");
  }
}

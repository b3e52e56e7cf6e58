package io.devproxy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.devproxy.cli.Main;
import io.devproxy.sandbox.http.SampleApp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo's parts with real servers and processes on loopback; the whole demo runs in e2e's DemoJarTest. */
class DemoPartsLoopbackTest {

  @TempDir Path root;

  @Test
  void trafficReportsWhoServedEachKindOfRequest() throws Exception {
    try (SampleApp app = new SampleApp("cluster")) {
      InetSocketAddress address = app.start();
      try (DemoTraffic traffic = new DemoTraffic(address, address, "alice")) {
        assertThat(traffic.sayHello(Marker.HEADER)).isEqualTo("cluster");
        assertThat(traffic.getWho(HttpClient.Version.HTTP_1_1, Marker.NONE)).isEqualTo("cluster");
        assertThat(traffic.getWho(HttpClient.Version.HTTP_2, Marker.BAGGAGE)).isEqualTo("cluster");
        assertThat(traffic.sayHelloStream(Marker.NONE, 5)).containsExactly("cluster", "cluster", "cluster", "cluster", "cluster");
        assertThat(traffic.timeSayHello(Marker.NONE)).isPositive();
        assertThat(traffic.timeSayHelloDirect()).isPositive();
      }
    }
  }

  @Test
  void anAgentThatExitsWhileStartingIsReportedWithItsLastLogLine() throws Exception {
    Path notAJar = Files.writeString(root.resolve("agent.jar"), "not a jar");
    Path log = root.resolve("agent.log");
    AgentProcess agent = AgentProcess.start(notAJar, AgentProcess.Ports.free(), root.resolve("tls"),
        new InetSocketAddress("127.0.0.1", 1), log);
    try {
      assertThatThrownBy(() -> agent.awaitReady(Duration.ofSeconds(30)))
          .isInstanceOfSatisfying(AgentProcess.AgentExitedException.class, e -> assertThat(e.portTaken()).isFalse())
          .hasMessageStartingWith("the traffic agent exited with code 1 while starting: ")
          .hasMessageContaining("jarfile");
    } finally {
      agent.close();
    }
    assertThat(log).content().contains("jarfile");
  }

  @Test
  void aMissingAgentJarFailsWithOneLineAConfigExitCodeAndOnlyTheLogsLeft() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(new Main());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String missing = root.resolve("missing.jar").toString();
    System.setProperty(AgentJar.PROPERTY, missing);
    int exitCode;
    try {
      exitCode = cli.execute("demo");
    } finally {
      System.clearProperty(AgentJar.PROPERTY);
    }

    assertThat(exitCode).isEqualTo(3);
    List<String> errLines = err.toString().lines().toList();
    assertThat(errLines).singleElement().asString()
        .startsWith("devproxy demo: starting the traffic agent failed: " + missing)
        .contains(AgentJar.PROPERTY);
    Matcher logs = Pattern.compile("\\(logs: (.+)\\)$").matcher(errLines.get(0));
    assertThat(logs.find()).isTrue();
    Path logsDir = Path.of(logs.group(1));
    Path demoDir = logsDir.getParent();
    try (Stream<Path> left = Files.walk(demoDir)) {
      assertThat(left).allSatisfy(p -> assertThat(p.equals(demoDir) || p.startsWith(logsDir)).isTrue());
    } finally {
      DemoStack.delete(demoDir, null);
    }
    assertThat(out.toString()).contains("1. the version running in the cluster: SampleApp \"cluster\"");
  }
}

package io.devproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.devproxy.agent.janitor.JanitorConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The agent's flags: a bad one exits 2 with a message naming it. Every other flag is valid and the TLS
 * directory is empty, so an accepted bad value would make the agent fail to start (exit 3) rather than run.
 */
class AgentMainTest {

  @TempDir
  Path emptyTlsDir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return AgentMain.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private String[] validArgsWith(String... overrides) {
    List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0",
        "--admin-listen", "127.0.0.1:0", "--tls-dir", emptyTlsDir.toString()));
    for (int i = 0; i < overrides.length; i += 2) {
      int at = args.indexOf(overrides[i]);
      if (at >= 0) {
        args.set(at + 1, overrides[i + 1]);
      } else {
        args.add(overrides[i]);
        args.add(overrides[i + 1]);
      }
    }
    return args.toArray(String[]::new);
  }

  @Test
  void listenThatIsNotHostPortExits2NamingTheFlag() {
    int code = run(validArgsWith("--listen", "nonsense"));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("devproxy-traffic-agent: ")
        .contains("--listen", "'nonsense'", "HOST:PORT")
        .contains("--help");
  }

  @Test
  void unknownAppProtocolExits2NamingTheFlagAndTheAcceptedValues() {
    int code = run(validArgsWith("--app-protocol", "foo"));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--app-protocol", "'foo'", "auto, http1 or h2c");
  }

  @Test
  void missingTlsDirExits2NamingTheFlag() {
    assumeTrue(System.getenv("DEVPROXY_TLS_DIR") == null, "DEVPROXY_TLS_DIR is set in this environment");
    String[] args = {"--listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"};

    int code = run(args);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--tls-dir").containsIgnoringCase("missing");
  }

  @Test
  void badPortNumberAndBadDurationExit2NamingTheFlag() {
    assertThat(run(validArgsWith("--tunnel-listen", "127.0.0.1:70000"))).isEqualTo(2);
    assertThat(err.toString()).contains("--tunnel-listen", "70000");

    assertThat(run(validArgsWith("--session-grace", "forever"))).isEqualTo(2);
    assertThat(err.toString()).contains("--session-grace", "'forever'");
  }

  @Test
  void badLeaseJanitorFlagsExit2NamingTheFlag() {
    assertThat(run(validArgsWith("--lease-janitor", "maybe"))).isEqualTo(2);
    assertThat(err.toString()).contains("--lease-janitor", "'maybe'");

    assertThat(run(validArgsWith("--lease-janitor-interval", "10ms"))).isEqualTo(2);
    assertThat(err.toString()).contains("--lease-janitor-interval", "'10ms' (expected: at least 100ms)");
  }

  @Test
  void theInjectedWorkloadTurnsTheLeaseJanitorOnUnlessItIsSwitchedOff() {
    assumeTrue(System.getenv("DEVPROXY_WORKLOAD") == null, "DEVPROXY_WORKLOAD is set in this environment");
    assumeTrue(System.getenv("DEVPROXY_LEASE_JANITOR") == null, "DEVPROXY_LEASE_JANITOR is set in this environment");

    JanitorConfig shadow = janitorConfig("--workload", "Deployment/orders-devproxy-alice",
        "--shadow-service", "orders-devproxy-alice", "--lease-janitor-interval", "3s");
    assertThat(shadow.workloadKind()).isEqualTo("Deployment");
    assertThat(shadow.workloadName()).isEqualTo("orders-devproxy-alice");
    assertThat(shadow.shadowService()).isEqualTo("orders-devproxy-alice");
    assertThat(shadow.interval()).isEqualTo(Duration.ofSeconds(3));
    assertThat(shadow.forbiddenBackoff()).isEqualTo(Duration.ofMinutes(5));
    assertThat(shadow.serviceAccountDir()).isEqualTo(Path.of("/var/run/secrets/kubernetes.io/serviceaccount"));
    assertThat(shadow.apiServer()).as("from KUBERNETES_SERVICE_HOST/PORT").isNull();

    assertThat(janitorConfig("--workload", "StatefulSet/ledger").interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(janitorConfig()).as("not injected by devproxy").isNull();
    assertThat(janitorConfig("--workload", "Deployment/orders", "--lease-janitor", "false")).isNull();
    assertThat(janitorConfig("--workload", "ReplicaSet/orders")).as("off with a warning, traffic unaffected").isNull();
    assertThat(janitorConfig("--workload", "orders")).isNull();
  }

  private JanitorConfig janitorConfig(String... extra) {
    AgentMain main = new AgentMain();
    new CommandLine(main).parseArgs(validArgsWith(extra));
    return main.janitorConfig();
  }

  @Test
  void unusableTlsDirExits3NamingTheFile() throws Exception {
    Files.writeString(emptyTlsDir.resolve("clients-ca.crt"), "not a certificate\n");

    int code = run(validArgsWith());

    assertThat(code).isEqualTo(3);
    assertThat(err.toString()).startsWith("devproxy-traffic-agent: ").contains(emptyTlsDir.toString());
  }

  @Test
  void helpDescribesEveryFlagWithoutPicocliFormatWarnings() {
    PrintStream systemErr = System.err;
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = run("--help");
    } finally {
      System.setErr(systemErr);
    }

    assertThat(code).isZero();
    assertThat(out.toString()).contains("--lease-janitor-interval", "(jittered by 20%; at least 100ms)");
    assertThat(warnings.toString(StandardCharsets.UTF_8)).as("picocli's format warnings").isEmpty();
  }
}

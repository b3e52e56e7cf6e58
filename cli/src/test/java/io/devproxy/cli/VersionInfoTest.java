package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.StatusReply;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class VersionInfoTest extends FakeDaemonHomeTest {

  @Test
  void withoutADaemonNamesTheCliTheDefaultImageAndJavaAndStartsNothing() {
    CliRunner cli = new CliRunner(home());

    CliRunner.Result result = cli.run("--version");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList()).containsExactly(
        "devproxy " + Main.version(),
        "daemon: not running (home " + home() + ")",
        "agent image: ghcr.io/devproxy/traffic-agent:" + Main.version() + " (the default)",
        "java: " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
    assertThat(cli.launches).hasValue(0);
    assertThat(home()).doesNotExist();
  }

  @Test
  void configuredImageIsNamedWithItsFile() throws Exception {
    Files.createDirectories(home());
    Files.writeString(home().resolve("config.properties"), "agentImage = registry.example.com/agent:7\n");

    CliRunner.Result result = new CliRunner(home()).run("--version");

    assertThat(result.out()).contains("agent image: registry.example.com/agent:7 (agentImage in "
        + home().resolve("config.properties") + ")");
  }

  @Test
  void runningDaemonGivesItsVersionAndImageAndAMismatchSaysWhatToDo() throws Exception {
    startDaemon().status = StatusReply.newBuilder().setVersion("9.9.9").setPid(321).setHome(home().toString())
        .setAgentImage("registry.example.com/agent:9.9.9").build();

    CliRunner.Result result = new CliRunner(home()).run("--version");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList()).startsWith(
        "devproxy " + Main.version(),
        "daemon: 9.9.9 (pid 321, home " + home() + "); not this CLI's version: 'devproxy quit' stops it, and the next"
            + " command that needs it starts " + Main.version(),
        "agent image: registry.example.com/agent:9.9.9 (the running daemon's)");
  }

  @Test
  void subcommandVersionPrintsTheSameAndAsksTheDaemonOnlyThen() throws Exception {
    startDaemon().status = StatusReply.newBuilder().setVersion(Main.version()).setPid(7).build();

    CliRunner.Result version = new CliRunner(home()).run("status", "--version");
    CliRunner.Result help = new CliRunner(home()).run("--help");

    assertThat(version.out().lines().toList()).startsWith(
        "devproxy " + Main.version(), "daemon: " + Main.version() + " (pid 7, home " + home() + ")");
    assertThat(help.exitCode()).isZero();
    assertThat(daemon.statusCalls).hasValue(1);
  }
}

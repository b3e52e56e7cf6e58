package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LogsCommandTest {

  @TempDir Path home;

  private Path log() {
    return home.resolve("logs").resolve("daemon.log");
  }

  private void writeLog(int lines) throws Exception {
    Files.createDirectories(log().getParent());
    Files.writeString(log(), IntStream.rangeClosed(1, lines).mapToObj(i -> "line " + i + "\n")
        .collect(Collectors.joining()));
  }

  @Test
  void printsTheLastHundredLinesByDefaultWithoutADaemon() throws Exception {
    writeLog(150);
    CliRunner cli = new CliRunner(home);

    CliRunner.Result result = cli.run("logs");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList()).hasSize(100).startsWith("line 51").endsWith("line 150");
    assertThat(cli.launches).hasValue(0);
  }

  @Test
  void linesFlagChoosesHowMany() throws Exception {
    writeLog(10);

    assertThat(new CliRunner(home).run("logs", "-n", "2").out().lines().toList()).containsExactly("line 9", "line 10");
    assertThat(new CliRunner(home).run("logs", "--lines", "0").out()).isEmpty();
  }

  @Test
  void negativeLinesIsAUsageError() throws Exception {
    writeLog(1);

    CliRunner.Result result = new CliRunner(home).run("logs", "-n", "-1");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("devproxy: --lines: -1 (expected: 0 or more)");
  }

  @Test
  void missingLogSaysNoDaemonHasRunWithThisHomeInOneLine() {
    CliRunner.Result result = new CliRunner(home).run("logs", "-f");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines().toList()).singleElement().asString()
        .isEqualTo("devproxy: no daemon has run with home " + home + " yet (there is no " + log()
            + "); if it ran with another home, set DEVPROXY_HOME to that directory");
  }

  @Test
  void followPrintsNewLinesAcrossRotationUntilInterrupted() throws Exception {
    writeLog(3);
    AtomicReference<CliRunner.Result> result = new AtomicReference<>();
    AtomicInteger launches = new AtomicInteger();
    StringWriter out = new StringWriter();
    CommandLine commandLine = Main.commandLine(new Main(new DaemonConnector(new HomeDir(home), h -> {
      launches.incrementAndGet();
      return ProcessHandle.current();
    }, Duration.ofMillis(1))));
    commandLine.setOut(new PrintWriter(out, true));
    Thread following = new Thread(() -> result.set(new CliRunner.Result(commandLine.execute("logs", "-f", "-n", "1"),
        out.toString(), "")));
    following.start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("line 3"));
      Files.writeString(log(), "line 4\n", StandardOpenOption.APPEND);
      await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("line 4"));
      Files.writeString(log(), "line 5\n", StandardOpenOption.APPEND);
      Files.move(log(), LogTail.generation(log(), 1), StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(log(), "line 6\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("line 6"));
    } finally {
      following.interrupt();
      following.join(10_000);
    }

    assertThat(result.get().exitCode()).isZero();
    assertThat(result.get().out().lines().toList()).containsExactly("line 3", "line 4", "line 5", "line 6");
    assertThat(launches).hasValue(0);
  }
}

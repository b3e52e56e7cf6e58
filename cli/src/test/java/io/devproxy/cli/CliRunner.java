package io.devproxy.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;

/** Runs the CLI in-process against a home directory, capturing stdout, stderr and the exit code. */
final class CliRunner {

  record Result(int exitCode, String out, String err) {}

  final HomeDir home;
  final AtomicInteger launches = new AtomicInteger();
  private final DaemonLauncher launcher;
  private final Duration startTimeout;

  /** A runner whose daemon launcher counts calls and starts nothing. */
  CliRunner(Path home) {
    this(home, h -> ProcessHandle.current(), Duration.ofMillis(300));
  }

  CliRunner(Path home, DaemonLauncher launcher, Duration startTimeout) {
    this.home = new HomeDir(home);
    this.launcher = launcher;
    this.startTimeout = startTimeout;
  }

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    DaemonLauncher counting =
        h -> {
          launches.incrementAndGet();
          return launcher.launch(h);
        };
    CommandLine cli = Main.commandLine(new Main(new DaemonConnector(home, counting, startTimeout)));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exitCode = cli.execute(args);
    return new Result(exitCode, out.toString(), err.toString());
  }
}

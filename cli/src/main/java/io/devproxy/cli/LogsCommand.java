package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy logs [-f] [-n LINES]}: the daemon's log, {@code $DEVPROXY_HOME/logs/daemon.log}, read from the
 * file, so it works whether or not a daemon runs, and never starts one. {@code -f} follows it across the daemon's
 * rotation until interrupted (Ctrl-C).
 */
@Command(
    name = "logs",
    sortOptions = false,
    description = {
      "Print the daemon's log ($DEVPROXY_HOME/logs/daemon.log, rotated to daemon.log.1 … .4), running or not.",
      "What the daemon's JVM printed before it could log (e.g. a crash on start) is in logs/daemon.out."
    })
final class LogsCommand implements Callable<Integer> {

  /** How often {@code -f} looks for new lines. */
  static final Duration POLL = Duration.ofMillis(200);

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = {"-n", "--lines"}, paramLabel = "LINES", defaultValue = "100",
      description = "How many of the last lines to print (default: ${DEFAULT-VALUE}; 0: none, e.g. with -f).")
  int lines;

  @Option(names = {"-f", "--follow"},
      description = "Keep printing lines as the daemon writes them, across log rotation, until Ctrl-C.")
  boolean follow;

  @Override
  public Integer call() throws Exception {
    if (lines < 0) {
      throw new ParameterException(spec.commandLine(), "--lines: " + lines + " (expected: 0 or more)");
    }
    Renderer renderer = Main.renderer(spec, OutputFormat.TABLE);
    HomeDir home = main.connector().home();
    Path log = home.logFile();
    try (LogFollower follower = LogFollower.fromEnd(log)) {
      LogTail.last(log, follower.position(), lines).forEach(renderer::message);
      if (!follow) {
        return ExitCodes.OK;
      }
      while (!Thread.currentThread().isInterrupted()) {
        follower.poll(renderer::message);
        try {
          Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return ExitCodes.OK;
    } catch (NoSuchFileException e) {
      throw new DevproxyException(ErrorCategory.USER, "no daemon has run with home " + home.dir() + " yet (there is no "
          + log + "); if it ran with another home, set " + HomeDir.ENV + " to that directory");
    } catch (IOException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot read " + log + ": " + e.getMessage()
          + "; check its permissions");
    }
  }
}

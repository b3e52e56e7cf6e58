package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy quit}: stops the daemon, which first leaves every intercept, and returns once it has
 * stopped. A no-op when it is not running.
 */
@Command(name = "quit", description = "Stop the daemon, leaving every intercept first.")
final class QuitCommand implements Callable<Integer> {

  /** Leaving restores every intercepted workload, which can take a rollout each. */
  static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Renderer renderer = Main.renderer(spec, OutputFormat.TABLE);
    DaemonConnector connector = main.connector();
    Optional<DaemonClient> running = connector.connectIfRunning();
    if (running.isEmpty()) {
      renderer.message("daemon: not running (nothing to stop)");
      return ExitCodes.OK;
    }
    try (DaemonClient daemon = running.get()) {
      daemon.quit();
    }
    if (!connector.awaitStopped(STOP_TIMEOUT, renderer, "stopping devproxy daemon (leaving intercepts)…")) {
      throw new DevproxyException(
          ErrorCategory.INTERNAL,
          "the daemon accepted quit but still runs after "
              + STOP_TIMEOUT.toSeconds()
              + " s; check "
              + connector.home().logFile());
    }
    renderer.message("daemon stopped");
    return ExitCodes.OK;
  }
}

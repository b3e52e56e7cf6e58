package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code intercept NAME --port P -- CMD ARGS...}: runs the developer's command with the container's environment on
 * top of their own, its input and output on the terminal, and ends the intercept when it exits, with its exit code.
 *
 * <p>Ctrl-C reaches the command itself (it is in the terminal's foreground process group) and the CLI, whose shutdown
 * hook gives the command a moment to stop, stops it otherwise (SIGTERM, then SIGKILL), and then leaves the
 * intercept, so the cluster is restored before the CLI exits.
 */
final class LocalCommand {

  /** Ends the intercept; runs once, from the calling thread or from the shutdown hook. */
  interface Leave {
    void leave() throws Exception;
  }

  private static final long GRACE_MILLIS = 2_000;
  private static final long STOP_MILLIS = 5_000;

  private final List<String> command;
  private final List<EnvVar> environment;
  private final Leave leave;
  private boolean left;

  LocalCommand(List<String> command, List<EnvVar> environment, Leave leave) {
    this.command = List.copyOf(requireNonNull(command, "command"));
    this.environment = List.copyOf(requireNonNull(environment, "environment"));
    this.leave = requireNonNull(leave, "leave");
  }

  /**
   * Runs the command to its end, then leaves the intercept.
   *
   * @return the command's exit code
   * @throws DevproxyException USER when the command cannot be started (the intercept is left first)
   */
  int run(Renderer renderer) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    for (EnvVar v : environment) {
      builder.environment().put(v.getName(), v.getValue());
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      leaveOnce();
      throw new DevproxyException(ErrorCategory.USER, "cannot run '" + command.get(0) + "': " + e.getMessage()
          + "; the intercept was ended");
    }
    Thread onExit = new Thread(() -> stopThenLeave(process, renderer), "devproxy-command-exit");
    Runtime.getRuntime().addShutdownHook(onExit);
    int exit;
    try {
      exit = process.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException e) {
        // the JVM is stopping: the hook leaves
      }
    }
    leaveOnce();
    return exit;
  }

  private void stopThenLeave(Process process, Renderer renderer) {
    try {
      if (!process.waitFor(GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
        process.destroy();
        if (!process.waitFor(STOP_MILLIS, TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
        }
      }
      leaveOnce();
    } catch (Exception e) {
      renderer.progress("could not end the intercept: " + e.getMessage() + " (run 'devproxy leave')");
    }
  }

  /** Held while leaving, so the shutdown hook waits for a leave the main thread has begun. */
  private synchronized void leaveOnce() throws Exception {
    if (left) {
      return;
    }
    left = true;
    leave.leave();
  }
}

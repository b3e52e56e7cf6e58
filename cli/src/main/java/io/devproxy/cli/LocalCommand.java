package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code intercept NAME --port P -- CMD ARGS...} and {@code run -- CMD ARGS...}: runs the developer's command with
 * variables on top of their own environment, its input and output on the terminal, and ends what it ran with (the
 * intercept, the {@code --forward} ports) when it exits, returning its exit code.
 *
 * <p>Ctrl-C reaches the command itself (it is in the terminal's foreground process group) and the CLI, whose shutdown
 * hook gives the command a moment to stop, stops it otherwise (SIGTERM, then SIGKILL), and then ends what it ran with,
 * so the cluster is restored before the CLI exits.
 */
final class LocalCommand {

  /** What ends with the command. {@link #end} runs once, from the calling thread or from the shutdown hook. */
  interface Ending {
    void end() throws Exception;

    /** Completes the error line when the command cannot start, e.g. {@code the intercept was ended}. */
    String whenNotStarted();

    /** The line printed when {@link #end} fails in the shutdown hook. */
    String whenEndFails(Exception e);
  }

  private static final long GRACE_MILLIS = 2_000;
  private static final long STOP_MILLIS = 5_000;

  private final List<String> command;
  private final Map<String, String> environment;
  private final Ending ending;
  private boolean ended;

  /**
   * @param environment set over the CLI's own environment, in order
   */
  LocalCommand(List<String> command, Map<String, String> environment, Ending ending) {
    this.command = List.copyOf(requireNonNull(command, "command"));
    this.environment = new LinkedHashMap<>(requireNonNull(environment, "environment"));
    this.ending = requireNonNull(ending, "ending");
  }

  /**
   * Runs the command to its end, then ends what it ran with.
   *
   * @return the command's exit code
   * @throws DevproxyException USER when the command cannot be started (after the ending)
   */
  int run(Renderer renderer) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      endOnce();
      throw new DevproxyException(ErrorCategory.USER, "cannot run '" + command.get(0) + "': " + e.getMessage()
          + "; " + ending.whenNotStarted());
    }
    Thread onExit = new Thread(() -> stopThenEnd(process, renderer), "devproxy-command-exit");
    Runtime.getRuntime().addShutdownHook(onExit);
    int exit;
    try {
      exit = process.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException e) {
        // the JVM is stopping: the hook ends
      }
    }
    endOnce();
    return exit;
  }

  private void stopThenEnd(Process process, Renderer renderer) {
    try {
      if (!process.waitFor(GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
        process.destroy();
        if (!process.waitFor(STOP_MILLIS, TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
        }
      }
      endOnce();
    } catch (Exception e) {
      renderer.progress(ending.whenEndFails(e));
    }
  }

  /** Held while ending, so the shutdown hook waits for an ending the main thread has begun. */
  private synchronized void endOnce() throws Exception {
    if (ended) {
      return;
    }
    ended = true;
    ending.end();
  }
}

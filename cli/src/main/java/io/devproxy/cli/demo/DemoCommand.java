package io.devproxy.cli.demo;

import io.devproxy.cli.DaemonUnreachableException;
import io.devproxy.cli.ExitCodes;
import io.devproxy.cli.OutputFormat;
import io.devproxy.cli.Renderer;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy demo}: the main job on one machine with real components and no cluster. A sample app stands
 * in for the cluster's version, the agent jar runs in front of it, a second sample app is "your local build",
 * and a demo daemon on a temporary home intercepts with your key; then requests with and without the key
 * show who serves them, and latency is measured with and without the tunnel.
 *
 * <p>Everything it starts is stopped and the temporary directory deleted, on success, failure and Ctrl-C (one
 * JVM shutdown hook). A failure ends with one line, {@code devproxy demo: <what failed> (logs: <dir>)}, the
 * logs kept, and the exit code of its {@link ExitCodes category}.
 */
@Command(
    name = "demo",
    sortOptions = false,
    description = {
      "Show an intercept on this machine: the real agent and daemon, a sample app as the cluster's version and as your local build.",
      "Leaves your own daemon and intercepts alone."
    })
public final class DemoCommand implements Callable<Integer> {

  static final String DEBUG_ENV = "DEVPROXY_DEBUG";

  @Spec CommandSpec spec;

  @Option(
      names = "--calls",
      defaultValue = "200",
      paramLabel = "N",
      description = "gRPC calls per path for the latency figures (default: ${DEFAULT-VALUE}).")
  int calls;

  @Override
  public Integer call() {
    if (calls < 1 || calls > 100_000) {
      throw new ParameterException(spec.commandLine(), "--calls: " + calls + " (expected: 1-100000)");
    }
    Renderer renderer = new Renderer(spec.commandLine().getOut(), spec.commandLine().getErr(), OutputFormat.TABLE);
    DemoOutput out = new DemoOutput(renderer, DemoOutput.unicodeStdout());
    long start = System.nanoTime();
    DemoStack stack;
    try {
      stack = DemoStack.create();
    } catch (DevproxyException e) {
      out.failure(e.getMessage(), null);
      return ExitCodes.of(e);
    }
    Thread hook = new Thread(() -> {
      if (!stack.closed()) {
        out.failure("interrupted; stopping what it started", null);
        stack.interrupt();
      }
    }, "devproxy-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    Demo demo = new Demo(stack, renderer, out, calls);
    Exception failure = null;
    try {
      demo.run();
    } catch (Exception e) {
      failure = e;
      stack.keepLogs();
    } finally {
      stack.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs or ran.
      }
    }
    if (stack.interrupted()) {
      return ErrorCategory.INTERNAL.exitCode();
    }
    List<String> problems = stack.problems();
    if (failure != null) {
      if (System.getenv(DEBUG_ENV) != null) {
        failure.printStackTrace(spec.commandLine().getErr());
      }
      String also = problems.isEmpty() ? "" : "; also " + String.join("; ", problems);
      out.failure(demo.step() + " failed: " + message(failure) + also, stack.logsDir());
      return exitCode(failure);
    }
    if (!problems.isEmpty()) {
      out.failure("cleaning up failed: " + String.join("; ", problems), stack.logsDir());
      return ErrorCategory.INTERNAL.exitCode();
    }
    out.step("stopped the sample apps; deleted " + stack.dir() + " (" + Demo.seconds(System.nanoTime() - start)
        + " in all)");
    return ExitCodes.OK;
  }

  private static String message(Exception e) {
    if (e instanceof DevproxyException || e instanceof DaemonUnreachableException) {
      return e.getMessage();
    }
    return e + " (a devproxy bug; run with " + DEBUG_ENV + "=1 for details and please report it)";
  }

  /** {@link ExitCodes} for devproxy's own errors; INTERNAL for anything else. */
  static int exitCode(Exception e) {
    if (e instanceof DevproxyException || e instanceof DaemonUnreachableException) {
      return ExitCodes.of(e);
    }
    return ErrorCategory.INTERNAL.exitCode();
  }
}

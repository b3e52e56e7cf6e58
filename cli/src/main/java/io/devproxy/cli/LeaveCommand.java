package io.devproxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy leave NAME}: ends an intercept and restores what it changed. Starts the daemon when it
 * is not running, since a restarted daemon resumes its saved intercepts.
 */
@Command(name = "leave", description = "End an intercept and restore the cluster.")
final class LeaveCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "The intercept to end.")
  String name;

  @Override
  public Integer call() throws Exception {
    new FlagChecks(spec).serviceName("NAME", name);
    Renderer renderer = Main.renderer(spec, OutputFormat.TABLE);
    try (DaemonClient daemon = main.connector().connectOrStart(renderer)) {
      daemon.leave(name);
    }
    renderer.message("left " + name);
    return ExitCodes.OK;
  }
}

package io.devproxy.cli;

import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy status}: the daemon and its intercepts. Starts the daemon only when it stopped with
 * intercepts to resume (it was killed, or the machine restarted), so that status shows them resumed.
 */
@Command(name = "status", description = "Show the daemon and its intercepts.")
final class StatusCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin OutputOptions output;

  @Override
  public Integer call() throws Exception {
    Renderer renderer = Main.renderer(spec, output.format());
    Optional<DaemonClient> running = main.connector().connectIfRunning();
    if (running.isEmpty() && main.connector().home().hasSavedIntercepts()) {
      running = Optional.of(main.connector().connectOrStart(renderer));
    }
    if (running.isEmpty()) {
      renderer.notRunning(main.connector().home().dir());
      return ExitCodes.OK;
    }
    try (DaemonClient daemon = running.get()) {
      renderer.status(daemon.status());
    }
    return ExitCodes.OK;
  }
}

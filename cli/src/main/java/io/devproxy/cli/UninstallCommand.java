package io.devproxy.cli;

import io.devproxy.proto.daemon.UninstallRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy uninstall NAME | --all}: takes devproxy out of a namespace, whoever put it there. Your own
 * intercepts on what goes are left first; other developers' sessions on it end.
 */
@Command(name = "uninstall",
    description = "Remove the agent from the Service NAME's workload, or (--all) every trace of devproxy in the namespace.")
final class UninstallCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin KubeOptions kube;
  @Mixin OutputOptions output;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The Service whose agent goes.")
  String name;

  @Option(names = "--all", description = "Everything devproxy created or changed in the namespace: workloads and "
      + "Services restored, shadow copies, agent Secrets and session Leases deleted.")
  boolean all;

  @Override
  public Integer call() throws Exception {
    if (all == (name != null)) {
      throw new ParameterException(spec.commandLine(), "give a Service NAME or --all (not both)");
    }
    if (name != null) {
      new FlagChecks(spec).serviceName("NAME", name);
    }
    UninstallRequest.Builder request = UninstallRequest.newBuilder().setKube(kube.toProto(System.getenv())).setAll(all);
    if (name != null) {
      request.setName(name);
    }
    Renderer renderer = Main.renderer(spec, output.format());
    try (DaemonClient daemon = main.connector().connectOrStart(renderer)) {
      renderer.uninstalled(daemon.uninstall(request.build()));
    }
    return ExitCodes.OK;
  }
}

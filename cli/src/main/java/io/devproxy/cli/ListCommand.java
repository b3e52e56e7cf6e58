package io.devproxy.cli;

import io.devproxy.proto.daemon.ListRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy list}: the Services of a namespace, the workload behind each, its ports, and who intercepts
 * it; or why it cannot be intercepted. Starts the daemon when it is not running (the daemon talks to the
 * cluster).
 */
@Command(name = "list", description = "List the Services of a namespace and what intercepts them.")
final class ListCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin KubeOptions kube;
  @Mixin OutputOptions output;

  @Override
  public Integer call() throws Exception {
    Renderer renderer = Main.renderer(spec, output.format());
    ListRequest request = ListRequest.newBuilder().setKube(kube.toProto(System.getenv())).build();
    try (DaemonClient daemon = main.connector().connectOrStart(renderer)) {
      renderer.services(daemon.list(request));
    }
    return ExitCodes.OK;
  }
}

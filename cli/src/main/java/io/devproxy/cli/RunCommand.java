package io.devproxy.cli;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy run [--forward SERVICE:PORT[:LOCAL_PORT]]... [--env-from INTERCEPT] -- CMD ARGS...}: runs a local
 * command whose connections go into the cluster, through the daemon's outbound proxy (the proxy variables of
 * {@link ProxyEnvironment}) and through {@code --forward} ports for clients that take no proxy. Needs an intercept:
 * its agent dials the connections. Exits with the command's exit code.
 */
@Command(
    name = "run",
    description = "Run CMD with its connections going into the cluster: proxy variables for the daemon's outbound"
        + " proxy, local ports for --forward; the ports close when CMD exits, with its exit code.",
    sortOptions = false)
final class RunCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--forward", paramLabel = "SERVICE:PORT[:LOCAL_PORT]",
      description = "Listen on LOCAL_PORT (default: PORT; 0: a free one, printed on stderr) and tunnel its connections"
          + " to SERVICE:PORT as the agent resolves it, e.g. orders.shop:50051; repeatable. For clients that take no"
          + " proxy: databases, Netty-based clients.")
  List<String> forwards = new ArrayList<>();

  @Option(names = "--env-from", paramLabel = "INTERCEPT",
      description = "Also give CMD that intercept's container environment (as 'intercept --env-file' reads it),"
          + " under the proxy variables.")
  String envFrom;

  @Parameters(paramLabel = "CMD", description = "After '--': the command and its arguments.")
  List<String> command = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    FlagChecks check = new FlagChecks(spec);
    if (command.isEmpty()) {
      throw new ParameterException(spec.commandLine(),
          "missing the command to run; put it after '--', e.g. devproxy run -- ./gradlew bootRun");
    }
    check.commandAfterDashes(command);
    forwards.forEach(f -> check.forward("--forward", f));
    if (envFrom != null) {
      check.serviceName("--env-from", envFrom);
    }
    Renderer renderer = Main.renderer(spec, OutputFormat.TABLE);
    try (DaemonClient daemon = connect(renderer)) {
      StatusReply status = daemon.status();
      Outbound outbound = ProxyEnvironment.outbound(status)
          .orElseThrow(() -> noOutbound(status.getOutbound().getError()));
      List<EnvVar> imported = envFrom == null ? List.of() : EnvFiles.fetch(daemon, envFrom, null, null, renderer);
      try (ForwardCall forwarding = forwards.isEmpty() ? null : daemon.forward(forwards, renderer::progress)) {
        if (forwarding != null) {
          renderer.forwarding(forwarding.forwards());
        }
        renderer.proxyForCommand(outbound);
        Map<String, String> environment = ProxyEnvironment.over(System.getenv(), imported, Optional.of(outbound));
        return new LocalCommand(command, environment, new Closing(forwarding)).run(renderer);
      }
    }
  }

  /**
   * The running daemon. One that stopped with intercepts to resume is started, as {@code status} does; without
   * intercepts a daemon has no outbound proxy, so none is started.
   */
  private DaemonClient connect(Renderer renderer) throws DevproxyException, DaemonUnreachableException {
    Optional<DaemonClient> running = main.connector().connectIfRunning();
    if (running.isEmpty() && main.connector().home().hasSavedIntercepts()) {
      return main.connector().connectOrStart(renderer);
    }
    return running.orElseThrow(() -> noOutbound(""));
  }

  /** @param reason the daemon's, when it could not open the proxy; empty when it has none to give */
  private static DevproxyException noOutbound(String reason) {
    if (!reason.isEmpty()) {
      return new DevproxyException(ErrorCategory.CONFIG, "no outbound proxy: " + reason);
    }
    return new DevproxyException(ErrorCategory.USER, "no outbound proxy: connections into the cluster are dialed by"
        + " an intercept's agent; start an intercept first ('devproxy intercept SVC --port P')");
  }

  /** Closes the {@code --forward} ports, if any, when the command exits. */
  private record Closing(ForwardCall forwarding) implements LocalCommand.Ending {

    @Override
    public void end() {
      if (forwarding != null) {
        forwarding.close();
      }
    }

    @Override
    public String whenNotStarted() {
      return "check the command after '--'";
    }

    @Override
    public String whenEndFails(Exception e) {
      return "could not close the --forward ports: " + e.getMessage() + " ('devproxy quit' closes them)";
    }
  }
}

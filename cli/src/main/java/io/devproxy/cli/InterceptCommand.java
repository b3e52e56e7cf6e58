package io.devproxy.cli;

import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code devproxy intercept NAME ...}: starts (or updates) an intercept through the daemon. */
@Command(
    name = "intercept",
    description = "Send the requests that match your session from an agent to a local port.",
    sortOptions = false)
final class InterceptCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin OutputOptions output;

  @Parameters(index = "0", paramLabel = "NAME", description = "The intercept's name: the Service whose traffic you take.")
  String name;

  @Option(names = "--agent-address", required = true, paramLabel = "HOST:PORT", description = "The agent's tunnel listener.")
  String agentAddress;

  @Option(names = "--port", required = true, paramLabel = "LOCAL_PORT", description = "The local port requests go to.")
  int port;

  @Option(
      names = "--local-protocol",
      defaultValue = "auto",
      paramLabel = "PROTOCOL",
      completionCandidates = FlagChecks.LocalProtocols.class,
      description = "How to talk to the local port: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  String localProtocol;

  @Option(
      names = "--header",
      paramLabel = "NAME=VALUE|NAME=~REGEX",
      description = "Match requests with this header (exact, or a regex after '=~'); repeatable, all must match.")
  List<String> headers = new ArrayList<>();

  @Option(names = "--path-prefix", paramLabel = "PREFIX", description = "Match requests whose path starts with PREFIX.")
  String pathPrefix;

  @Option(names = "--key", paramLabel = "KEY", description = "Your session key (default: your user name).")
  String key;

  @Override
  public Integer call() throws Exception {
    FlagChecks check = new FlagChecks(spec);
    check.serviceName("NAME", name);
    check.hostPort("--agent-address", agentAddress);
    check.port("--port", port);
    check.localProtocol("--local-protocol", localProtocol);
    headers.forEach(h -> check.header("--header", h));
    if (pathPrefix != null) {
      check.pathPrefix("--path-prefix", pathPrefix);
    }
    if (key != null) {
      check.key("--key", key);
    }
    InterceptRequest.Builder request =
        InterceptRequest.newBuilder()
            .setName(name)
            .setAgentAddress(agentAddress)
            .setLocalPort(port)
            .setLocalProtocol(localProtocol)
            .addAllHeaders(headers);
    if (pathPrefix != null) {
      request.setPathPrefix(pathPrefix);
    }
    if (key != null) {
      request.setKey(key);
    }
    Renderer renderer = Main.renderer(spec, output.format());
    try (DaemonClient daemon = main.connector().connectOrStart(renderer)) {
      InterceptInfo info = daemon.intercept(request.build());
      renderer.intercept(info);
    }
    return ExitCodes.OK;
  }
}

package io.devproxy.cli;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.tunnel.errors.DevproxyException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy intercept NAME --port LOCAL[:REMOTE] ...}: starts (or updates) an intercept through the
 * daemon. In a cluster (the default) the daemon injects the agent into the Service's workload and tunnels
 * through port-forwards, printing its progress on stderr; with {@code --agent-address} it uses an agent that
 * already runs there.
 */
@Command(
    name = "intercept",
    description = "Send the requests that match your session from the Service NAME to a local port.",
    sortOptions = false)
final class InterceptCommand implements Callable<Integer> {

  static final List<String> MODES = List.of("sidecar", "swap", "shadow");

  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin OutputOptions output;
  @Mixin KubeOptions kube;

  @Parameters(index = "0", paramLabel = "NAME", description = "The Service whose traffic you take (the intercept's name).")
  String name;

  @Option(names = "--port", required = true, paramLabel = "LOCAL[:REMOTE]",
      description = "The local port requests go to, and the Service port (number or name) they come from; REMOTE "
          + "may be left out when the Service has one port.")
  String port;

  @Option(names = "--mode", paramLabel = "MODE", completionCandidates = Modes.class,
      description = "How the agent goes in: ${COMPLETION-CANDIDATES} (default: sidecar).")
  String mode;

  @Option(names = "--container", paramLabel = "NAME", description = "The container behind the port, when several could serve it.")
  String container;

  @Option(names = "--agent-image", paramLabel = "IMAGE", description = "The traffic agent image (default: the daemon's agentImage).")
  String agentImage;

  @Option(names = "--ambassador",
      description = "Also clone the Ambassador Mappings that route to the Service into header routes for your key"
          + " (shadow mode always does).")
  boolean ambassador;

  @Option(names = "--preview",
      description = "Also create a preview URL (as 'devproxy preview create') once the intercept is up, and print it.")
  boolean preview;

  @Option(names = "--preview-host", paramLabel = "HOST",
      description = "The preview's host (implies --preview; default: <key>-<service>.<previewDomain>).")
  String previewHost;

  @Option(names = "--timeout", paramLabel = "DURATION",
      description = "How long to wait for the agent's rollout, e.g. 90s or 5m (default: the daemon's, 120s).")
  String timeout;

  @Option(names = "--agent-address", paramLabel = "HOST:PORT",
      description = "Use the agent already listening there instead of putting one into the cluster.")
  String agentAddress;

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

  @Option(names = "--env-file", paramLabel = "FILE",
      description = "Write the container's environment, resolved as the kubelet would, as a .env file (KEY=VALUE"
          + " lines, as IntelliJ's EnvFile and VS Code's envFile read them), mode 0600.")
  Path envFile;

  @Option(names = "--env-json", paramLabel = "FILE",
      description = "Write the container's environment as a JSON object, mode 0600.")
  Path envJson;

  @Option(names = "--forward", paramLabel = "SERVICE:PORT[:LOCAL_PORT]",
      description = "Also listen on LOCAL_PORT (default: PORT; 0: a free one, shown in the output) and tunnel its"
          + " connections to SERVICE:PORT as the agent resolves it, while the intercept lasts; repeatable.")
  List<String> forwards = new ArrayList<>();

  @Parameters(index = "1..*", paramLabel = "CMD",
      description = "After '--': run CMD with the container's environment and the outbound proxy variables (as"
          + " 'devproxy run' does); the intercept ends when it exits, with its exit code.")
  List<String> command = new ArrayList<>();

  /** The values of --mode, for completion and help. */
  static final class Modes implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return MODES.iterator();
    }
  }

  @Override
  public Integer call() throws Exception {
    FlagChecks check = new FlagChecks(spec);
    check.serviceName("NAME", name);
    check.commandAfterDashes(command);
    int colon = port.indexOf(':');
    String localPort = colon < 0 ? port : port.substring(0, colon);
    String remotePort = colon < 0 ? "" : port.substring(colon + 1);
    int local = check.portNumber("--port", localPort, port, "LOCAL[:REMOTE], e.g. 8080 or 8080:http");
    if (colon >= 0) {
      check.remotePort("--port", remotePort, port);
    }
    check.localProtocol("--local-protocol", localProtocol);
    headers.forEach(h -> check.header("--header", h));
    forwards.forEach(f -> check.forward("--forward", f));
    if (pathPrefix != null) {
      check.pathPrefix("--path-prefix", pathPrefix);
    }
    if (key != null) {
      check.key("--key", key);
    }
    InterceptRequest.Builder request =
        InterceptRequest.newBuilder()
            .setName(name)
            .setLocalPort(local)
            .setLocalProtocol(localProtocol)
            .addAllHeaders(headers)
            .addAllForwards(forwards);
    Duration deadline = DaemonClient.INTERCEPT_TIMEOUT;
    if (agentAddress != null) {
      check.hostPort("--agent-address", agentAddress);
      check.notWith("--agent-address", agentAddress, "--mode", mode, "--container", container,
          "--agent-image", agentImage, "--timeout", timeout, "--ambassador", ambassador ? "" : null,
          "--preview", preview ? "" : null, "--preview-host", previewHost,
          "--env-file", envFile == null ? null : envFile.toString(),
          "--env-json", envJson == null ? null : envJson.toString(), "--context", kube.context,
          "--namespace", kube.namespace, "--kubeconfig", kube.kubeconfig);
      if (colon >= 0) {
        throw check.fail("--port", port, "LOCAL only: with --agent-address there is no Service port to choose");
      }
      request.setAgentAddress(agentAddress);
    } else {
      request.setKube(kube.toProto(System.getenv())).setRemotePort(remotePort).setAmbassador(ambassador)
          .setPreview(preview || previewHost != null);
      if (previewHost != null) {
        request.setPreviewHost(previewHost);
      }
      if (mode != null) {
        if (!MODES.contains(mode)) {
          throw check.fail("--mode", mode, String.join(", ", MODES));
        }
        request.setMode(mode);
      }
      if (container != null) {
        request.setContainer(container);
      }
      if (agentImage != null) {
        check.image("--agent-image", agentImage);
        request.setAgentImage(agentImage);
      }
      if (timeout != null) {
        Duration wait = check.duration("--timeout", timeout);
        request.setTimeoutSeconds((int) Math.max(1, wait.toSeconds()));
        deadline = wait.plus(Duration.ofMinutes(1));
      }
    }
    if (pathPrefix != null) {
      request.setPathPrefix(pathPrefix);
    }
    if (key != null) {
      request.setKey(key);
    }
    Renderer renderer = Main.renderer(spec, output.format());
    List<EnvVar> imported = List.of();
    Optional<Outbound> outbound = Optional.empty();
    try (DaemonClient daemon = main.connector().connectOrStart(renderer)) {
      InterceptInfo info = daemon.intercept(request.build(), deadline, renderer::progress);
      renderer.intercept(info);
      try {
        if (agentAddress == null && (envFile != null || envJson != null || !command.isEmpty())) {
          imported = EnvFiles.fetch(daemon, name, envFile, envJson, renderer);
        }
        if (!command.isEmpty()) {
          outbound = ProxyEnvironment.outbound(daemon.status());
        }
      } catch (DevproxyException | DaemonUnreachableException e) {
        if (!command.isEmpty()) {
          daemon.leave(name); // the command will not run: do not leave the intercept behind it
        }
        throw e;
      }
    }
    if (command.isEmpty()) {
      return ExitCodes.OK;
    }
    outbound.ifPresent(renderer::proxyForCommand);
    return new LocalCommand(command, ProxyEnvironment.over(System.getenv(), imported, outbound), new Leaving(renderer))
        .run(renderer);
  }

  /** Ends the intercept when its command exits. */
  private final class Leaving implements LocalCommand.Ending {

    private final Renderer renderer;

    Leaving(Renderer renderer) {
      this.renderer = renderer;
    }

    @Override
    public void end() throws Exception {
      try (DaemonClient daemon = main.connector().connectOrStart(renderer)) {
        daemon.leave(name);
      }
    }

    @Override
    public String whenNotStarted() {
      return "the intercept was ended";
    }

    @Override
    public String whenEndFails(Exception e) {
      return "could not end the intercept: " + e.getMessage() + " (run 'devproxy leave')";
    }
  }
}

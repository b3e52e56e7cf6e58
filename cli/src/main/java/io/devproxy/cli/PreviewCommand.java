package io.devproxy.cli;

import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.DeletePreviewRequest;
import java.util.Optional;
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
 * {@code devproxy preview create|list|delete}: preview URLs, hosts of a developer's own that Ambassador routes to
 * their intercept with the session header added, so that a teammate's browser sees their local build.
 */
@Command(name = "preview",
    description = "Preview URLs: a host of your own that shows your intercept's local build to anyone (needs"
        + " Ambassador/Emissary).",
    subcommands = {PreviewCommand.Create.class, PreviewCommand.ListPreviews.class, PreviewCommand.Delete.class})
final class PreviewCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: create, list or delete");
  }

  @Command(name = "create",
      description = "Create a preview URL for the intercept NAME: an Ambassador Mapping for the host that routes like"
          + " the Service's own Mappings and adds your session header.")
  static final class Create implements Callable<Integer> {
    @ParentCommand PreviewCommand preview;
    @Spec CommandSpec spec;
    @Mixin OutputOptions output;

    @Parameters(index = "0", paramLabel = "NAME", description = "The intercept (its Service).")
    String name;

    @Option(names = "--host", paramLabel = "HOST",
        description = "The preview host (default: <key>-<service>.<domain>).")
    String host;

    @Option(names = "--domain", paramLabel = "DOMAIN",
        description = "The domain of the default host (default: previewDomain in the daemon's config.properties).")
    String domain;

    @Option(names = "--tls-secret", paramLabel = "SECRET",
        description = "A TLS Secret in the namespace whose certificate covers the host: an Ambassador Host serves it"
            + " with TLS.")
    String tlsSecret;

    @Override
    public Integer call() throws Exception {
      FlagChecks check = new FlagChecks(spec);
      check.serviceName("NAME", name);
      if (host != null && domain != null) {
        throw new ParameterException(spec.commandLine(), "give --host or --domain, not both");
      }
      CreatePreviewRequest.Builder request = CreatePreviewRequest.newBuilder().setName(name);
      if (host != null) {
        request.setHost(host);
      }
      if (domain != null) {
        request.setDomain(domain);
      }
      if (tlsSecret != null) {
        check.serviceName("--tls-secret", tlsSecret);
        request.setTlsSecret(tlsSecret);
      }
      Renderer renderer = Main.renderer(spec, output.format());
      try (DaemonClient daemon = preview.main.connector().connectOrStart(renderer)) {
        renderer.preview(name, daemon.createPreview(request.build()));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", description = "List the preview URLs of your intercepts.")
  static final class ListPreviews implements Callable<Integer> {
    @ParentCommand PreviewCommand preview;
    @Spec CommandSpec spec;
    @Mixin OutputOptions output;

    @Override
    public Integer call() throws Exception {
      Renderer renderer = Main.renderer(spec, output.format());
      DaemonConnector connector = preview.main.connector();
      Optional<DaemonClient> running = connector.connectIfRunning();
      if (running.isEmpty() && connector.home().hasSavedIntercepts()) {
        running = Optional.of(connector.connectOrStart(renderer));
      }
      if (running.isEmpty()) {
        renderer.previews(java.util.List.of());
        return ExitCodes.OK;
      }
      try (DaemonClient daemon = running.get()) {
        renderer.previews(daemon.status().getInterceptsList());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", description = "Delete the intercept NAME's preview for --host, or all of its previews.")
  static final class Delete implements Callable<Integer> {
    @ParentCommand PreviewCommand preview;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The intercept (its Service).")
    String name;

    @Option(names = "--host", paramLabel = "HOST", description = "The preview host (default: every preview of NAME).")
    String host;

    @Override
    public Integer call() throws Exception {
      new FlagChecks(spec).serviceName("NAME", name);
      Renderer renderer = Main.renderer(spec, OutputFormat.TABLE);
      try (DaemonClient daemon = preview.main.connector().connectOrStart(renderer)) {
        for (String deleted : daemon.deletePreview(DeletePreviewRequest.newBuilder().setName(name)
            .setHost(host == null ? "" : host).build()).getHostsList()) {
          renderer.message("deleted the preview " + deleted);
        }
      }
      return ExitCodes.OK;
    }
  }
}

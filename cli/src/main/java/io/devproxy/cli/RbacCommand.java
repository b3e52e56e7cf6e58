package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy rbac [--agent]}: prints the namespaced RBAC YAML a cluster admin applies with
 * {@code kubectl apply -n NAMESPACE -f -}. Needs neither the daemon nor the cluster. The YAML is the jar's
 * copy of {@code images/rbac/}, which a test keeps byte-identical.
 */
@Command(
    name = "rbac",
    description = "Print the RBAC a developer needs in a namespace (--agent: the agent's ServiceAccount)")
final class RbacCommand implements Callable<Integer> {

  static final String DEVELOPER = "rbac/devproxy-developer-role.yaml";
  static final String AGENT = "rbac/devproxy-agent-role.yaml";

  @Option(names = "--agent", description = "Print the agent's ServiceAccount, Role and RoleBinding instead.")
  boolean agent;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Main.renderer(spec, OutputFormat.TABLE).text(resource(agent ? AGENT : DEVELOPER));
    return ExitCodes.OK;
  }

  /** A YAML file shipped next to this class, as UTF-8 text. */
  static String resource(String name) throws DevproxyException {
    try (InputStream in = RbacCommand.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new DevproxyException(ErrorCategory.INTERNAL, "this devproxy build lacks " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DevproxyException(ErrorCategory.INTERNAL, "cannot read " + name + ": " + e.getMessage(), e);
    }
  }
}

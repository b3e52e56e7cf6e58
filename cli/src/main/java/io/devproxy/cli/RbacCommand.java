package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy rbac [--user NAME] | --agent [--service-account NAME]}: prints the namespaced RBAC YAML a
 * cluster admin applies with {@code kubectl apply -n NAMESPACE -f -}. Needs neither the daemon nor the cluster.
 * The YAML is the jar's copy of {@code images/rbac/}, which a test keeps byte-identical; the options only fill in
 * the RoleBinding's subject.
 */
@Command(
    name = "rbac",
    description = "Print the RBAC a developer needs in a namespace (--agent: the agent's ServiceAccount)")
final class RbacCommand implements Callable<Integer> {

  static final String DEVELOPER = "rbac/devproxy-developer-role.yaml";
  static final String AGENT = "rbac/devproxy-agent-role.yaml";
  private static final Pattern SERVICE_ACCOUNT = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  @Option(names = "--agent", description = "Print the agent's ServiceAccount, Role and RoleBinding instead.")
  boolean agent;

  @Option(names = "--user", paramLabel = "NAME",
      description = "The developer the RoleBinding grants the Role to (default: a placeholder to edit).")
  String user;

  @Option(names = "--service-account", paramLabel = "NAME",
      description = "With --agent: bind the Role to the intercepted workload's ServiceAccount (the agent runs as"
          + " it) instead of creating devproxy-agent.")
  String serviceAccount;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (user != null && (agent || user.isBlank() || user.contains("\n") || user.contains("\""))) {
      throw new ParameterException(spec.commandLine(), agent ? "--user is for the developer's Role; with --agent use"
          + " --service-account" : "--user: '" + user + "' (expected: the user name the cluster authenticates)");
    }
    if (serviceAccount != null && (!agent || !SERVICE_ACCOUNT.matcher(serviceAccount).matches())) {
      throw new ParameterException(spec.commandLine(), !agent ? "--service-account needs --agent"
          : "--service-account: '" + serviceAccount + "' (expected: a ServiceAccount name, lowercase letters,"
              + " digits, '-' and '.')");
    }
    String yaml = resource(agent ? AGENT : DEVELOPER);
    if (user != null) {
      yaml = yaml.replace("    name: developer@example.com # replace with the developer's user name",
          "    name: \"" + user + "\"");
    }
    if (serviceAccount != null) {
      yaml = bindTo(yaml, serviceAccount);
    }
    Main.renderer(spec, OutputFormat.TABLE).text(yaml);
    return ExitCodes.OK;
  }

  /**
   * The agent YAML without its ServiceAccount object (the first document, after the header comment), its
   * RoleBinding naming {@code account} instead.
   */
  static String bindTo(String agentYaml, String account) {
    String[] documents = agentYaml.split("(?m)^---\n");
    String header = documents[0].substring(0, documents[0].indexOf("apiVersion: v1\nkind: ServiceAccount\n"));
    String rest = String.join("---\n", Arrays.asList(documents).subList(1, documents.length));
    return header + rest.replace("  - kind: ServiceAccount\n    name: devproxy-agent",
        "  - kind: ServiceAccount\n    name: " + account);
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

package io.devproxy.cli;

import io.devproxy.cli.demo.DemoCommand;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * {@code devproxy}'s subcommands, in the order {@code --help} lists them. Added to the root command here rather than
 * in its {@code @Command(subcommands = …)}, so that a run can build the one it needs ({@link #addOnly}).
 */
final class Subcommands {

  /** By name ({@code @Command(name)}; a test checks they agree). */
  static final Map<String, Supplier<Object>> ALL = new LinkedHashMap<>();

  static {
    ALL.put("intercept", InterceptCommand::new);
    ALL.put("run", RunCommand::new);
    ALL.put("leave", LeaveCommand::new);
    ALL.put("status", StatusCommand::new);
    ALL.put("logs", LogsCommand::new);
    ALL.put("quit", QuitCommand::new);
    ALL.put("certs", CertsCommand::new);
    ALL.put("generate-completion", AutoComplete.GenerateCompletion::new);
    ALL.put("demo", DemoCommand::new);
    ALL.put("list", ListCommand::new);
    ALL.put("rbac", RbacCommand::new);
    ALL.put("uninstall", UninstallCommand::new);
    ALL.put("preview", PreviewCommand::new);
  }

  /** Commands that need the whole tree: the completion script describes every command. */
  private static final String NEEDS_ALL = "generate-completion";

  private Subcommands() {}

  /** Adds every subcommand to {@code root}. */
  static CommandLine addAll(CommandLine root) {
    ALL.values().forEach(command -> root.addSubcommand(command.get()));
    return root;
  }

  /**
   * Adds the subcommand called {@code name} alone to {@code root}, unless it needs the others.
   *
   * @return whether it did; when not ({@code name} is an option, unknown, or {@value #NEEDS_ALL}), the caller adds all
   */
  static boolean addOnly(CommandLine root, String name) {
    Supplier<Object> command = ALL.get(name);
    if (command == null || name.equals(NEEDS_ALL)) {
      return false;
    }
    root.addSubcommand(command.get());
    return true;
  }
}

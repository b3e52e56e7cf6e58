package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code --help} reads like a man page: every command and option described, the exit codes and environment listed. */
class HelpTest {

  @TempDir Path home;

  private CommandLine all() {
    return Main.commandLine(new Main(new DaemonConnector(new HomeDir(home), h -> ProcessHandle.current(),
        Duration.ofMillis(1))));
  }

  @Test
  void everyCommandOptionAndParameterHasADescription() {
    List<String> undescribed = new ArrayList<>();
    List<CommandSpec> commands = new ArrayList<>(List.of(all().getCommandSpec()));
    for (int i = 0; i < commands.size(); i++) {
      CommandSpec command = commands.get(i);
      command.subcommands().values().forEach(sub -> commands.add(sub.getCommandSpec()));
      if (String.join("", command.usageMessage().description()).isBlank()) {
        undescribed.add(command.qualifiedName());
      }
      for (ArgSpec arg : command.args()) {
        if (String.join("", arg.description()).isBlank()) {
          undescribed.add(command.qualifiedName() + " " + arg.paramLabel()
              + (arg.isOption() ? " (" + ((CommandLine.Model.OptionSpec) arg).longestName() + ")" : ""));
        }
      }
    }
    assertThat(commands).hasSizeGreaterThan(15);
    assertThat(undescribed).isEmpty();
  }

  @Test
  void everyCommandsHelpEndsWithTheExitCodes() {
    CommandLine root = all();
    List<CommandLine> commands = new ArrayList<>(List.of(root));
    for (int i = 0; i < commands.size(); i++) {
      commands.addAll(commands.get(i).getSubcommands().values());
    }
    for (CommandLine command : commands) {
      String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
      assertThat(usage).as(command.getCommandName()).contains("Exit codes:", "  6  the daemon cannot be reached",
          "DEVPROXY_HOME");
    }
  }

  @Test
  void aRunWithOneSubcommandBuildsItAloneWithTheSameHelp() {
    CommandLine full = all();
    for (String name : Subcommands.ALL.keySet()) {
      CommandLine lazy = Main.commandLine(new Main(new DaemonConnector(new HomeDir(home), h -> ProcessHandle.current(),
          Duration.ofMillis(1))), name, "--help");
      if (name.equals("generate-completion")) {
        assertThat(lazy.getSubcommands()).hasSameSizeAs(full.getSubcommands());
        continue;
      }
      assertThat(lazy.getSubcommands()).containsOnlyKeys(name);
      assertThat(lazy.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF))
          .isEqualTo(full.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF));
    }
  }

  @Test
  void subcommandNamesAreTheirCommandsNames() {
    Subcommands.ALL.forEach((name, command) ->
        assertThat(new CommandLine(command.get()).getCommandName()).isEqualTo(name));
  }

  @Test
  void anOptionFirstOrAnUnknownCommandGetsEverySubcommand() {
    Main main = new Main(new DaemonConnector(new HomeDir(home), h -> ProcessHandle.current(), Duration.ofMillis(1)));

    assertThat(Main.commandLine(main, "--help").getSubcommands()).hasSize(Subcommands.ALL.size());
    assertThat(Main.commandLine(main, "stauts").getSubcommands()).hasSize(Subcommands.ALL.size());
    assertThat(Main.commandLine(main).getSubcommands()).hasSize(Subcommands.ALL.size());
  }

  @Test
  void misspeltCommandIsSuggested() {
    CliRunner.Result result = new CliRunner(home).run("stauts");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("status");
  }
}

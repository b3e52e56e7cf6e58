package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy}: the command a developer runs. Talks only to the local daemon (starting it when a
 * command needs it), never to Kubernetes.
 *
 * <p>Run it through {@link #commandLine(Main)}, which installs the exit-code mapping and the error
 * handlers; tests construct it with their own {@link DaemonConnector} and set the command line's out and
 * err writers.
 */
@Command(
    name = "devproxy",
    // Subcommands inherit --help and --version, the section headings and the footer.
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Run one service of a Kubernetes application locally: requests carrying your header reach it.",
    descriptionHeading = "%n",
    parameterListHeading = "%nParameters:%n",
    optionListHeading = "%nOptions:%n",
    commandListHeading = "%nCommands:%n",
    footerHeading = "%nEnvironment:%n",
    footer = {
      "  DEVPROXY_HOME   the daemon's directory (default: ~/.devproxy)",
      "  DEVPROXY_DEBUG  set to anything for stack traces on stderr",
      "",
      "Exit codes:",
      "  0  success",
      "  2  a bad flag or argument, or a request that cannot be done as asked",
      "  3  this machine's setup: a config file, a certificate, a busy port",
      "  4  the cluster or an agent failed or refused",
      "  5  a devproxy bug: run again with DEVPROXY_DEBUG=1 and report it",
      "  6  the daemon cannot be reached or started",
      "  7  no Java 17 or newer to run devproxy with (bin/devproxy)",
      "  other  the exit code of the command run after '--' (run, intercept)"
    })
public final class Main implements Callable<Integer> {

  /** Set to anything to get stack traces and the CLI's own log lines on stderr. */
  static final String DEBUG_ENV = "DEVPROXY_DEBUG";

  private final DaemonConnector connector;

  @Spec CommandSpec spec;

  /** The user's daemon, per {@code $DEVPROXY_HOME}. */
  public Main() {
    this(DaemonConnector.system());
  }

  public Main(DaemonConnector connector) {
    this.connector = requireNonNull(connector, "connector");
  }

  public static void main(String[] args) {
    QuickStart.apply(args.length == 0 ? "" : args[0]);
    if (System.getenv(DEBUG_ENV) == null) {
      // gRPC and Netty log to stderr through JUL; the CLI's stderr is for its own one-line errors.
      Logger.getLogger("").setLevel(Level.SEVERE);
    }
    System.exit(commandLine(new Main(), args).execute(args));
  }

  /** {@code main} wrapped in a command line with devproxy's error handling and exit codes, every subcommand in it. */
  public static CommandLine commandLine(Main main) {
    return withHandlers(Subcommands.addAll(new CommandLine(main)));
  }

  /**
   * {@link #commandLine(Main)} for one run with {@code args}: when they start with a subcommand's name, the command
   * line holds that subcommand alone, so picocli reflects over one command's annotations instead of all of them (a
   * good part of a short command's start-up). Usage, errors and exit codes are the same as with every subcommand.
   */
  static CommandLine commandLine(Main main, String... args) {
    CommandLine commandLine = new CommandLine(main);
    if (!Subcommands.addOnly(commandLine, args.length == 0 ? "" : args[0])) {
      Subcommands.addAll(commandLine);
    }
    return withHandlers(commandLine);
  }

  private static CommandLine withHandlers(CommandLine commandLine) {
    ErrorHandler errors = new ErrorHandler(System.getenv(DEBUG_ENV) != null);
    return commandLine
        .setExecutionStrategy(Main::versionOrRun)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors)
        .setExitCodeExceptionMapper(new ExitCodes());
  }

  DaemonConnector connector() {
    return connector;
  }

  /** The renderer for a command run, writing to its command line's out and err. */
  static Renderer renderer(CommandSpec spec, OutputFormat format) {
    return new Renderer(spec.commandLine().getOut(), spec.commandLine().getErr(), format);
  }

  @Override
  public Integer call() {
    throw FlagChecks.missingSubcommand(spec);
  }

  /**
   * {@code --version} (on any command) prints {@link VersionInfo}, which asks the running daemon; anything else runs
   * as picocli runs it. Not through picocli's version provider: picocli also calls that while it builds the commands.
   */
  private static int versionOrRun(ParseResult parseResult) {
    for (ParseResult command = parseResult; command != null; command = command.subcommand()) {
      if (command.isVersionHelpRequested() && !command.isUsageHelpRequested()) {
        CommandLine root = parseResult.commandSpec().commandLine();
        PrintWriter out = command.commandSpec().commandLine().getOut();
        VersionInfo.lines(((Main) root.getCommand()).connector, version()).forEach(out::println);
        out.flush();
        return ExitCodes.OK;
      }
    }
    return new CommandLine.RunLast().execute(parseResult);
  }

  /** picocli's version: this build's alone (see {@link #versionOrRun}). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"devproxy " + version()};
    }
  }

  /** This build's version, from the jar manifest; {@code dev} when run from classes. */
  static String version() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }
}

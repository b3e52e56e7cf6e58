package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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
    // Subcommands inherit --help and --version.
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Run one service of a Kubernetes application locally: requests carrying your header reach it.",
    subcommands = {
      InterceptCommand.class,
      RunCommand.class,
      LeaveCommand.class,
      StatusCommand.class,
      QuitCommand.class,
      CertsCommand.class,
      AutoComplete.GenerateCompletion.class,
      io.devproxy.cli.demo.DemoCommand.class,
      ListCommand.class,
      RbacCommand.class,
      UninstallCommand.class,
      PreviewCommand.class
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
    if (System.getenv(DEBUG_ENV) == null) {
      // gRPC and Netty log to stderr through JUL; the CLI's stderr is for its own one-line errors.
      Logger.getLogger("").setLevel(Level.SEVERE);
    }
    System.exit(commandLine(new Main()).execute(args));
  }

  /** {@code main} wrapped in a command line with devproxy's error handling and exit codes. */
  public static CommandLine commandLine(Main main) {
    ErrorHandler errors = new ErrorHandler(System.getenv(DEBUG_ENV) != null);
    return new CommandLine(main)
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

  /** {@code --version}: this build's version, from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"devproxy " + version()};
    }
  }

  static String version() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }
}

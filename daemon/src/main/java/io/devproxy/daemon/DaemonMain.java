package io.devproxy.daemon;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The daemon process: {@code java -jar devproxy-daemon.jar [--home DIR]}. Usually started by the CLI, in
 * the background, when it finds no daemon; runs until {@code devproxy quit} or a signal.
 */
@Command(
    name = "devproxy-daemon",
    mixinStandardHelpOptions = true,
    versionProvider = DaemonMain.Version.class,
    description = "The devproxy daemon: tunnels, intercepts and the control API the devproxy command uses.")
public final class DaemonMain implements Callable<Integer> {

  static {
    // Before any logger exists: see DaemonLogManager.
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", DaemonLogManager.class.getName());
    }
  }

  private static final Logger logger = Logger.getLogger(DaemonMain.class.getName());

  @Option(
      names = "--home",
      paramLabel = "DIR",
      description = "The daemon's directory (socket, pid, logs, pki, state). Default: $DEVPROXY_HOME, else ~/.devproxy.")
  Path home;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new DaemonMain())
        .setExecutionExceptionHandler(
            (e, cmd, parseResult) -> {
              ErrorCategory category = e instanceof DevproxyException de ? de.category() : ErrorCategory.INTERNAL;
              if (e instanceof DevproxyException) {
                logger.severe("daemon failed: " + e.getMessage());
              } else {
                logger.log(Level.SEVERE, "daemon failed", e);
              }
              cmd.getErr().println("devproxy-daemon: " + (e instanceof DevproxyException ? e.getMessage() : e.toString()));
              cmd.getErr().flush();
              return category.exitCode();
            });
  }

  @Override
  public Integer call() throws DevproxyException, InterruptedException {
    DevproxyHome devproxyHome = DevproxyHome.resolve(home);
    DaemonLog.install(devproxyHome.logFile());
    Daemon daemon = new Daemon(devproxyHome, loadFactory());
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "devproxy-daemon-shutdown"));
    daemon.start();
    daemon.awaitTermination();
    return 0;
  }

  /** The first {@link InterceptsFactory} on the class path. */
  static InterceptsFactory loadFactory() throws DevproxyException {
    Iterator<InterceptsFactory> factories = ServiceLoader.load(InterceptsFactory.class).iterator();
    if (!factories.hasNext()) {
      throw new DevproxyException(
          ErrorCategory.INTERNAL,
          "no intercept engine on the classpath (no META-INF/services/" + InterceptsFactory.class.getName() + ")");
    }
    return factories.next();
  }

  /** {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"devproxy-daemon " + Daemon.version()};
    }
  }
}

package io.devproxy.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Finds {@code devproxy-daemon.jar}, in order: the system property {@value #PROPERTY}, the environment
 * variable {@value #ENV}, {@code devproxy-daemon.jar} next to the CLI's jar, and
 * {@code <repo>/daemon/target/devproxy-daemon.jar} when the CLI runs from {@code <repo>/cli/target/}.
 */
final class DaemonJar {

  static final String PROPERTY = "devproxy.daemon.jar";
  static final String ENV = "DEVPROXY_DAEMON_JAR";
  static final String FILE_NAME = "devproxy-daemon.jar";

  private static final SiblingJar JAR = new SiblingJar(PROPERTY, ENV, FILE_NAME, "daemon");

  private DaemonJar() {}

  /**
   * @param properties system properties
   * @param env environment variables
   * @param cliLocation the CLI's jar, or its classes directory; empty when unknown
   */
  static Path locate(UnaryOperator<String> properties, UnaryOperator<String> env, Optional<Path> cliLocation)
      throws DaemonUnreachableException {
    try {
      return JAR.locate(properties, env, cliLocation);
    } catch (SiblingJar.NotFoundException e) {
      String hint = e.getMessage().contains(" not found") ? "; set " + ENV + " to its path" : "";
      throw new DaemonUnreachableException("cannot start the daemon: " + e.getMessage() + hint);
    }
  }

  /** Where the CLI's classes come from: its jar, or a classes directory. */
  static Optional<Path> cliLocation() {
    return SiblingJar.cliLocation();
  }
}

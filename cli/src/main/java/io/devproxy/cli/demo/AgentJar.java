package io.devproxy.cli.demo;

import io.devproxy.cli.SiblingJar;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Finds {@code devproxy-traffic-agent.jar} the way the CLI finds the daemon's jar, in order: the system
 * property {@value #PROPERTY}, the environment variable {@value #ENV}, the jar next to the CLI's jar, and
 * {@code <repo>/traffic-agent/target/devproxy-traffic-agent.jar} when the CLI runs from {@code <repo>/cli/target/}.
 */
final class AgentJar {

  static final String PROPERTY = "devproxy.agent.jar";
  static final String ENV = "DEVPROXY_AGENT_JAR";
  static final String FILE_NAME = "devproxy-traffic-agent.jar";

  private static final SiblingJar JAR = new SiblingJar(PROPERTY, ENV, FILE_NAME, "traffic-agent");

  private AgentJar() {}

  /** The agent's jar for this process: its system properties, environment and CLI location. */
  static Path locate() throws DevproxyException {
    return locate(System::getProperty, System::getenv, cliLocation());
  }

  /**
   * @param properties system properties
   * @param env environment variables
   * @param cliLocation the CLI's jar, or its classes directory; empty when unknown
   * @throws DevproxyException CONFIG when none of the places holds the jar
   */
  static Path locate(UnaryOperator<String> properties, UnaryOperator<String> env, Optional<Path> cliLocation)
      throws DevproxyException {
    try {
      return JAR.locate(properties, env, cliLocation);
    } catch (SiblingJar.NotFoundException e) {
      String hint = e.getMessage().contains(" not found")
          ? "; build it with './mvnw -DskipTests install' or set " + ENV + " to its path" : "";
      throw new DevproxyException(ErrorCategory.CONFIG, e.getMessage() + hint);
    }
  }

  /** Where the CLI's classes come from: its jar, or a classes directory. */
  static Optional<Path> cliLocation() {
    return SiblingJar.cliLocation();
  }
}

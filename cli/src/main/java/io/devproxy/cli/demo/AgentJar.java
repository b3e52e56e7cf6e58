package io.devproxy.cli.demo;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
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
    String fromProperty = properties.apply(PROPERTY);
    if (fromProperty != null && !fromProperty.isBlank()) {
      return existing(Path.of(fromProperty), "the system property " + PROPERTY);
    }
    String fromEnv = env.apply(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return existing(Path.of(fromEnv), "the environment variable " + ENV);
    }
    List<Path> candidates = new ArrayList<>();
    cliLocation.map(Path::getParent).ifPresent(dir -> {
      candidates.add(dir.resolve(FILE_NAME));
      // <repo>/cli/target/devproxy-cli.jar (or .../target/classes) → <repo>/traffic-agent/target/...
      Path module = dir.getParent();
      if (module != null && module.getParent() != null) {
        candidates.add(module.getParent().resolve("traffic-agent").resolve("target").resolve(FILE_NAME));
      }
    });
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new DevproxyException(
        ErrorCategory.CONFIG,
        FILE_NAME
            + " not found"
            + (candidates.isEmpty() ? "" : " (looked at " + String.join(", ", candidates.stream().map(Path::toString).toList()) + ")")
            + "; build it with './mvnw -DskipTests install' or set "
            + ENV
            + " to its path");
  }

  private static Path existing(Path jar, String origin) throws DevproxyException {
    if (!Files.isRegularFile(jar)) {
      throw new DevproxyException(ErrorCategory.CONFIG, jar + " (from " + origin + ") is not a file");
    }
    return jar;
  }

  /** Where the CLI's classes come from: its jar, or a classes directory. */
  static Optional<Path> cliLocation() {
    try {
      CodeSource source = AgentJar.class.getProtectionDomain().getCodeSource();
      return source == null || source.getLocation() == null
          ? Optional.empty()
          : Optional.of(Path.of(source.getLocation().toURI()));
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }
}

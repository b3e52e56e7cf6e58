package io.devproxy.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
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

  private DaemonJar() {}

  /**
   * @param properties system properties
   * @param env environment variables
   * @param cliLocation the CLI's jar, or its classes directory; empty when unknown
   */
  static Path locate(UnaryOperator<String> properties, UnaryOperator<String> env, Optional<Path> cliLocation)
      throws DaemonUnreachableException {
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
      // <repo>/cli/target/devproxy-cli.jar (or .../target/classes) → <repo>/daemon/target/devproxy-daemon.jar
      Path module = dir.getParent();
      if (module != null && module.getParent() != null) {
        candidates.add(module.getParent().resolve("daemon").resolve("target").resolve(FILE_NAME));
      }
    });
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new DaemonUnreachableException(
        "cannot start the daemon: "
            + FILE_NAME
            + " not found"
            + (candidates.isEmpty() ? "" : " (looked at " + String.join(", ", candidates.stream().map(Path::toString).toList()) + ")")
            + "; set "
            + ENV
            + " to its path");
  }

  private static Path existing(Path jar, String origin) throws DaemonUnreachableException {
    if (!Files.isRegularFile(jar)) {
      throw new DaemonUnreachableException(
          "cannot start the daemon: " + jar + " (from " + origin + ") is not a file");
    }
    return jar;
  }

  /** Where the CLI's classes come from: its jar, or a classes directory. */
  static Optional<Path> cliLocation() {
    try {
      CodeSource source = DaemonJar.class.getProtectionDomain().getCodeSource();
      return source == null || source.getLocation() == null
          ? Optional.empty()
          : Optional.of(Path.of(source.getLocation().toURI()));
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }
}

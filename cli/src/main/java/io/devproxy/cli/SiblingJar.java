package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Finds another of devproxy's jars (the daemon's, the agent's), in order: a system property, an environment
 * variable, the jar next to the CLI's jar, and {@code <repo>/<module>/target/<file>} when the CLI runs from
 * {@code <repo>/cli/target/}. Immutable.
 */
public final class SiblingJar {

  /** Why a jar was not found: the places looked at, and the variable that would name it. */
  public static final class NotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message) {
      super(message, null, false, false);
    }
  }

  private final String property;
  private final String env;
  private final String fileName;
  private final String module;

  public SiblingJar(String property, String env, String fileName, String module) {
    this.property = requireNonNull(property, "property");
    this.env = requireNonNull(env, "env");
    this.fileName = requireNonNull(fileName, "fileName");
    this.module = requireNonNull(module, "module");
  }

  public String property() {
    return property;
  }

  public String env() {
    return env;
  }

  public String fileName() {
    return fileName;
  }

  /**
   * @param properties system properties
   * @param environment environment variables
   * @param cliLocation the CLI's jar, or its classes directory; empty when unknown
   */
  public Path locate(UnaryOperator<String> properties, UnaryOperator<String> environment, Optional<Path> cliLocation)
      throws NotFoundException {
    String fromProperty = properties.apply(property);
    if (fromProperty != null && !fromProperty.isBlank()) {
      return existing(Path.of(fromProperty), "the system property " + property);
    }
    String fromEnv = environment.apply(env);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return existing(Path.of(fromEnv), "the environment variable " + env);
    }
    List<Path> candidates = new ArrayList<>();
    cliLocation.map(Path::getParent).ifPresent(dir -> {
      candidates.add(dir.resolve(fileName));
      // <repo>/cli/target/devproxy-cli.jar (or .../target/classes) → <repo>/<module>/target/<file>
      Path cliModule = dir.getParent();
      if (cliModule != null && cliModule.getParent() != null) {
        candidates.add(cliModule.getParent().resolve(module).resolve("target").resolve(fileName));
      }
    });
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new NotFoundException(fileName + " not found"
        + (candidates.isEmpty() ? "" : " (looked at " + String.join(", ", candidates.stream().map(Path::toString).toList()) + ")"));
  }

  private static Path existing(Path jar, String origin) throws NotFoundException {
    if (!Files.isRegularFile(jar)) {
      throw new NotFoundException(jar + " (from " + origin + ") is not a file");
    }
    return jar;
  }

  /** Where the CLI's classes come from: its jar, or a classes directory. */
  public static Optional<Path> cliLocation() {
    try {
      CodeSource source = SiblingJar.class.getProtectionDomain().getCodeSource();
      return source == null || source.getLocation() == null
          ? Optional.empty()
          : Optional.of(Path.of(source.getLocation().toURI()));
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }
}

package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.UnaryOperator;

/**
 * The CLI's view of the daemon's home: {@code $DEVPROXY_HOME}, else {@code ~/.devproxy}. The same layout as
 * the daemon's {@code DevproxyHome} (the CLI does not depend on the daemon module): {@code daemon.sock},
 * {@code logs/daemon.log} (rotated to {@code daemon.log.1} … {@code .4}), {@code logs/daemon.out}, {@code pki/},
 * {@code config.properties}.
 *
 * <p>Immutable; creates nothing until {@link #create()}.
 */
public final class HomeDir {

  /** The environment variable that overrides {@code ~/.devproxy}. */
  public static final String ENV = "DEVPROXY_HOME";

  private final Path dir;

  public HomeDir(Path dir) {
    this.dir = requireNonNull(dir, "dir").toAbsolutePath().normalize();
  }

  /** {@code $DEVPROXY_HOME}, else {@code ~/.devproxy}. */
  public static HomeDir fromEnvironment() {
    return fromEnvironment(System::getenv, System.getProperty("user.home"));
  }

  static HomeDir fromEnvironment(UnaryOperator<String> env, String userHome) {
    String fromEnv = env.apply(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new HomeDir(Path.of(fromEnv));
    }
    return new HomeDir(Path.of(requireNonNull(userHome, "userHome"), ".devproxy"));
  }

  /** Creates the home and {@code logs/} with mode 0700 if they are missing. */
  public HomeDir create() throws DevproxyException {
    createPrivateDir(dir);
    createPrivateDir(logsDir());
    return this;
  }

  private static void createPrivateDir(Path path) throws DevproxyException {
    if (Files.isDirectory(path)) {
      return;
    }
    try {
      Files.createDirectories(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException | UnsupportedOperationException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot create " + path + ": " + e + "; set " + ENV + " to a writable directory", e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** The daemon's control socket. */
  public Path socket() {
    return dir.resolve("daemon.sock");
  }

  /** The daemon's log. */
  public Path logFile() {
    return dir.resolve("logs").resolve("daemon.log");
  }

  /** The daemon's stdout and stderr when the CLI started it. */
  public Path outFile() {
    return logsDir().resolve("daemon.out");
  }

  Path logsDir() {
    return dir.resolve("logs");
  }

  /** The daemon's settings ({@code agentImage}, ports, …); optional. */
  public Path configFile() {
    return dir.resolve("config.properties");
  }

  /** The daemon's saved intercepts; a non-empty file means a daemon stopped without leaving them. */
  public Path savedIntercepts() {
    return dir.resolve("state").resolve("intercepts.pb");
  }

  public boolean hasSavedIntercepts() {
    try {
      return java.nio.file.Files.size(savedIntercepts()) > 0;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** The user's CA and client certificate. */
  public Path pkiDir() {
    return dir.resolve("pki");
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}

package io.devproxy.daemon;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The daemon's per-user directory: {@code $DEVPROXY_HOME}, else {@code ~/.devproxy}. Mode 0700, so the
 * control socket, the PKI and the saved state inside it are the user's alone.
 *
 * <pre>
 *   daemon.sock        control API (gRPC over a Unix domain socket, 0600)
 *   daemon.pid         the running daemon's pid; locked while it runs
 *   logs/daemon.log    the daemon's log (rotated: daemon.log.1 … daemon.log.4)
 *   logs/daemon.out    the daemon's stdout/stderr, when the CLI started it
 *   pki/               the user's CA and client certificate
 *   state/             what a restarted daemon resumes
 * </pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class DevproxyHome {

  /** The environment variable that overrides the default location. */
  public static final String ENV = "DEVPROXY_HOME";

  private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

  private final Path dir;

  private DevproxyHome(Path dir) {
    this.dir = dir;
  }

  /**
   * The home the daemon uses: {@code explicit} when given (the {@code --home} option), else
   * {@code $DEVPROXY_HOME}, else {@code ~/.devproxy}; created (0700) with its subdirectories.
   *
   * @throws DevproxyException CONFIG when it cannot be created or its socket path is too long
   */
  public static DevproxyHome resolve(Path explicit) throws DevproxyException {
    Path dir = explicit != null ? explicit : defaultDir(System::getenv, System.getProperty("user.home"));
    return open(dir);
  }

  /** The location {@link #resolve} uses when no directory is given; creates nothing. */
  public static Path defaultDir(UnaryOperator<String> env, String userHome) {
    String fromEnv = env.apply(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv).toAbsolutePath().normalize();
    }
    return Path.of(requireNonNull(userHome, "userHome"), ".devproxy").toAbsolutePath().normalize();
  }

  /**
   * {@code dir} as a home: creates it and {@code logs/}, {@code pki/}, {@code state/} with mode 0700, and
   * narrows an existing home to 0700.
   *
   * @throws DevproxyException CONFIG when a directory cannot be created or the socket path is too long
   */
  public static DevproxyHome open(Path dir) throws DevproxyException {
    DevproxyHome home = new DevproxyHome(requireNonNull(dir, "dir").toAbsolutePath().normalize());
    checkSocketPathLength(home.socket());
    home.createOwnerOnlyDir(home.dir);
    home.createOwnerOnlyDir(home.logsDir());
    home.createOwnerOnlyDir(home.pkiDir());
    home.createOwnerOnlyDir(home.stateDir());
    return home;
  }

  /**
   * Fails when {@code socket} is longer than a Unix domain socket address allows ({@code sun_path}: 108 bytes
   * on Linux, 104 on macOS, each with a terminating NUL).
   */
  public static void checkSocketPathLength(Path socket) throws DevproxyException {
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    int max = maxSocketPathBytes();
    if (length > max) {
      throw new DevproxyException(
          ErrorCategory.CONFIG,
          "the control socket path "
              + socket
              + " is "
              + length
              + " bytes, longer than the "
              + max
              + " a Unix domain socket allows; set "
              + ENV
              + " to a shorter path");
    }
  }

  private static int maxSocketPathBytes() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    return os.contains("mac") || os.contains("bsd") ? 103 : 107;
  }

  private void createOwnerOnlyDir(Path path) throws DevproxyException {
    try {
      if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.getPosixFilePermissions(path).equals(OWNER_ONLY_DIR)) {
          Files.setPosixFilePermissions(path, OWNER_ONLY_DIR);
        }
        return;
      }
      try {
        Files.createDirectories(path.getParent());
        Files.createDirectory(path, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
      } catch (FileAlreadyExistsException raced) {
        // Another process created it between the check and here (or it is a symlink): check it again.
        if (!Files.isDirectory(path)) {
          throw raced;
        }
      }
      // The umask may have narrowed the mode further; state it exactly.
      Files.setPosixFilePermissions(path, OWNER_ONLY_DIR);
    } catch (IOException | UnsupportedOperationException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG,
          "cannot create the devproxy directory " + path + ": " + e + "; set " + ENV + " to a writable directory",
          e);
    }
  }

  /** The home directory itself. */
  public Path dir() {
    return dir;
  }

  /** The control API's Unix domain socket. */
  public Path socket() {
    return dir.resolve("daemon.sock");
  }

  /** The running daemon's pid file. */
  public Path pidFile() {
    return dir.resolve("daemon.pid");
  }

  /** {@code logs/}. */
  public Path logsDir() {
    return dir.resolve("logs");
  }

  /** The daemon's current log file, {@code logs/daemon.log}. */
  public Path logFile() {
    return logsDir().resolve("daemon.log");
  }

  /** The daemon's stdout/stderr when the CLI started it, {@code logs/daemon.out}. */
  public Path outFile() {
    return logsDir().resolve("daemon.out");
  }

  /** {@code pki/}: the user's CA and client certificate. */
  public Path pkiDir() {
    return dir.resolve("pki");
  }

  /** {@code state/}: what a restarted daemon resumes. */
  public Path stateDir() {
    return dir.resolve("state");
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}

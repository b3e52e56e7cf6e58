package io.devproxy.cli;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes an intercepted container's environment for IDEs: a dotenv file ({@code KEY=VALUE} lines, as IntelliJ's
 * EnvFile plugin and VS Code's {@code envFile} read them) and a JSON object. The values can hold Secrets: files are
 * created with mode 0600 and replaced atomically, never left half-written.
 */
final class EnvFiles {

  /** Values that read the same in every dotenv dialect without quotes. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:@,+=%^-]*");

  private EnvFiles() {}

  /**
   * {@code KEY=VALUE} per line; a value with anything beyond {@link #PLAIN} is double-quoted, with {@code \},
   * {@code "}, {@code $} and newlines escaped ({@code \n}), which dotenv readers turn back into the value.
   */
  static String dotenv(List<EnvVar> variables) {
    StringBuilder out = new StringBuilder();
    for (EnvVar v : variables) {
      out.append(v.getName()).append('=');
      String value = v.getValue();
      if (PLAIN.matcher(value).matches()) {
        out.append(value);
      } else {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
          char c = value.charAt(i);
          switch (c) {
            case '\\' -> out.append("\\\\");
            case '"' -> out.append("\\\"");
            case '$' -> out.append("\\$");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            default -> out.append(c);
          }
        }
        out.append('"');
      }
      out.append('\n');
    }
    return out.toString();
  }

  /**
   * The intercept {@code name}'s container environment, from the daemon: what was left out, one line each, and where
   * it came from on stderr; written to {@code envFile} and {@code envJson} when they are not null.
   *
   * @throws DevproxyException the daemon's error, or USER when a file cannot be written
   */
  static List<EnvVar> fetch(DaemonClient daemon, String name, Path envFile, Path envJson, Renderer renderer)
      throws DevproxyException, DaemonUnreachableException {
    GetEnvReply env = daemon.getEnv(name);
    env.getWarningsList().forEach(renderer::progress);
    if (envFile != null) {
      write("--env-file", envFile, dotenv(env.getVariablesList()));
    }
    if (envJson != null) {
      write("--env-json", envJson, json(env.getVariablesList()));
    }
    renderer.progress(env.getVariablesCount() + " environment variables from " + env.getSource()
        + (envFile != null ? ", written to " + envFile : "") + (envJson != null ? ", written to " + envJson : ""));
    return env.getVariablesList();
  }

  static String json(List<EnvVar> variables) {
    Map<String, Object> object = new LinkedHashMap<>();
    for (EnvVar v : variables) {
      object.put(v.getName(), v.getValue());
    }
    return Json.write(object) + "\n";
  }

  /**
   * Writes {@code text} to {@code file} with mode 0600 (through a temporary file in the same directory, then an
   * atomic rename).
   *
   * @throws DevproxyException USER naming the flag and the file when it cannot be written
   */
  static void write(String flag, Path file, String text) throws DevproxyException {
    Path target = file.toAbsolutePath();
    Path temp = null;
    try {
      temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | UnsupportedOperationException e) {
      try {
        if (temp != null) {
          Files.deleteIfExists(temp);
        }
      } catch (IOException ignored) {
        // the original failure is the one to report
      }
      throw new DevproxyException(ErrorCategory.USER, flag + ": cannot write " + target + " (" + e.getMessage()
          + "); choose a writable path");
    }
  }
}

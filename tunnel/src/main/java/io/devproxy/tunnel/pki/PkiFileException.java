package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A certificate or key file that is missing, unreadable or holds the wrong thing. The message names the
 * file, what is wrong with it and, where there is one, what to do: {@code "/etc/devproxy/tls/server.key: no
 * private key found (expected PEM 'BEGIN PRIVATE KEY')"}.
 */
public final class PkiFileException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String problem;

  PkiFileException(Path file, String problem) {
    this(file, problem, null);
  }

  PkiFileException(Path file, String problem, Throwable cause) {
    super(requireNonNull(file, "file") + ": " + requireNonNull(problem, "problem"), cause);
    this.file = file;
    this.problem = problem;
  }

  /** The file the message is about. */
  public Path file() {
    return file;
  }

  /** The message without the file name. */
  String problem() {
    return problem;
  }
}

package io.devproxy.cli.demo;

import static java.util.Objects.requireNonNull;

import io.devproxy.cli.Renderer;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo's lines, all through the CLI's {@link Renderer}: a numbered header line per step on stdout, indented
 * details under it, columns padded so the {@code → served by} results line up, and on failure the one line
 * {@code devproxy demo: <what failed> (logs: <dir>)} on stderr. Not thread-safe, except {@link #failure}.
 */
final class DemoOutput {

  static final String INDENT = "   ";

  private final Renderer renderer;
  private final String arrow;
  private int steps;

  /** @param unicode whether stdout can show {@code →}; otherwise {@code ->} */
  DemoOutput(Renderer renderer, boolean unicode) {
    this.renderer = requireNonNull(renderer, "renderer");
    this.arrow = unicode ? "→" : "->";
  }

  /** Whether this JVM's stdout encoding has {@code →} (a {@code C} locale does not). */
  static boolean unicodeStdout() {
    String encoding = System.getProperty("sun.stdout.encoding");
    try {
      Charset charset = encoding != null ? Charset.forName(encoding) : Charset.defaultCharset();
      return charset.newEncoder().canEncode('→');
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** {@code →}, or {@code ->} where stdout cannot show it. */
  String arrow() {
    return arrow;
  }

  /** The opening lines, then a blank line. */
  void title(String... lines) {
    for (String line : lines) {
      renderer.message(line);
    }
    renderer.message("");
  }

  /** The next step's header: {@code 3. text}. */
  void step(String text) {
    steps++;
    renderer.message(steps + ". " + text);
  }

  /** A line under the current step. */
  void detail(String text) {
    renderer.message(INDENT + text);
  }

  /** A line under the current step, its cells padded to {@code widths}. */
  void row(String[] cells, int[] widths) {
    detail(columns(cells, widths));
  }

  /** Progress of a long wait, on stderr. */
  void progress(String line) {
    renderer.progress(line);
  }

  /** The one line a failed run ends with, on stderr; {@code logs} may be null. */
  synchronized void failure(String what, Path logs) {
    renderer.progress("devproxy demo: " + what + (logs == null ? "" : " (logs: " + logs + ")"));
  }

  /** The widest cell of each column. */
  static int[] widths(List<String[]> rows) {
    int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    return widths;
  }

  /** {@code cells} joined by two spaces, each but the last padded to its width; no trailing spaces. */
  static String columns(String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      line.append(cells[i]);
      if (i < cells.length - 1) {
        int width = i < widths.length ? widths[i] : cells[i].length();
        line.append(" ".repeat(Math.max(0, width - cells[i].length()) + 2));
      }
    }
    return line.toString().stripTrailing();
  }
}

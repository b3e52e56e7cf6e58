package io.devproxy.e2e.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's start-up as {@code bench/cli-startup} measures it (wall time of {@code devproxy status} against a running
 * daemon, 20 runs), its summary line as a report section of its own. Times the release tarball's {@code
 * bin/devproxy} when {@code dist/devproxy-*.tar.gz} is built and not older than the CLI jar, else the bare CLI jar.
 */
final class CliStartup {

  private static final String TITLE = "CLI start-up";

  private CliStartup() {}

  /** Runs the script (up to 3 minutes); a section that says what went wrong if it fails. */
  static Section section(Path repo, Path work) throws IOException, InterruptedException {
    // The tarball only when it holds the CLI just built: an older one would time yesterday's code.
    Path cliJar = repo.resolve("cli/target/devproxy-cli.jar");
    boolean tarball = false;
    try (var dist = Files.newDirectoryStream(repo.resolve("dist"), "devproxy-*.tar.gz")) {
      for (Path candidate : dist) {
        tarball |= !Files.exists(cliJar)
            || Files.getLastModifiedTime(candidate).compareTo(Files.getLastModifiedTime(cliJar)) >= 0;
      }
    }
    List<String> command = tarball ? List.of(repo.resolve("bench/cli-startup").toString())
        : List.of(repo.resolve("bench/cli-startup").toString(),
            "java -jar " + repo.resolve("cli/target/devproxy-cli.jar"));
    Path out = work.resolve("cli-startup.out");
    System.err.println("[bench] " + TITLE + ": " + String.join(" ", command));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean finished = process.waitFor(3, TimeUnit.MINUTES);
    if (!finished) {
      process.destroyForcibly().waitFor();
    }
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    // Paths relative to the repository: the report is published, the machine's directories mean nothing there.
    String last = lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).replace(repo + "/", "");
    String what = tarball ? "the release tarball's `bin/devproxy`" : "the bare CLI jar (no `dist/devproxy-*.tar.gz` as new "
        + "as it: without the launcher's class-data archive; `./mvnw -Pdist package` builds the tarball)";
    String result = finished && process.exitValue() == 0 ? "`" + last + "`"
        : "**failed** (exit " + (finished ? process.exitValue() : "timeout") + "): " + last + " (see " + out + ")";
    return new Section(TITLE, "`bench/cli-startup`, " + what + ", against a running daemon: " + result, List.of());
  }
}

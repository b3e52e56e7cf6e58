package io.devproxy.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release tarball, unpacked and run as a user runs it: bin/devproxy on a shell's PATH, with their Java. */
class TarballTest {

  static final Path TARBALL = Path.of(System.getProperty("devproxy.tarball"));
  static final String VERSION = System.getProperty("devproxy.version");
  static final String TOP = "devproxy-" + VERSION;

  @TempDir static Path unpacked;
  static Path install;
  static Path devproxy;

  @TempDir Path home;
  @TempDir Path scratch;

  @BeforeAll
  static void unpack() throws Exception {
    assertThat(TARBALL).exists();
    Launcher.Run tar = Launcher.run(unpacked, env -> {}, "tar", "-xzf", TARBALL.toString());
    assertThat(tar.exitCode()).as(tar.toString()).isZero();
    install = unpacked.resolve(TOP);
    devproxy = install.resolve("bin/devproxy");
  }

  /** The user's environment with this JVM's Java, the test's home, and no class-data archive (one test's own). */
  Consumer<Map<String, String>> user() {
    return env -> {
      env.remove("DEVPROXY_JAVA");
      env.put("JAVA_HOME", System.getProperty("java.home"));
      env.put("DEVPROXY_HOME", home.toString());
      env.put("DEVPROXY_CDS", "off");
      env.put("XDG_CACHE_HOME", scratch.resolve("cache").toString());
    };
  }

  Launcher.Run devproxy(String... args) throws Exception {
    return devproxy(user(), args);
  }

  Launcher.Run devproxy(Consumer<Map<String, String>> env, String... args) throws Exception {
    String[] command = Stream.concat(Stream.of(devproxy.toString()), Stream.of(args)).toArray(String[]::new);
    return Launcher.run(scratch, env, command);
  }

  @Test
  void holdsTheLauncherTheJarsTheCompletionsAndTheReadme() throws Exception {
    Launcher.Run list = Launcher.run(unpacked, env -> {}, "tar", "-tzvf", TARBALL.toString());
    assertThat(list.exitCode()).isZero();
    List<String> files = list.stdout().lines().filter(line -> !line.startsWith("d"))
        .map(line -> line.substring(line.lastIndexOf(' ') + 1)).toList();
    assertThat(files).containsExactlyInAnyOrder(
        TOP + "/bin/devproxy",
        TOP + "/lib/devproxy-cli.jar",
        TOP + "/lib/devproxy-daemon.jar",
        TOP + "/lib/devproxy-traffic-agent.jar",
        TOP + "/completions/devproxy.bash",
        TOP + "/completions/_devproxy",
        TOP + "/README.md");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(devproxy))).isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(devproxy)).startsWith("#!/bin/sh\n");
  }

  @Test
  void versionAndStatusWithoutADaemonStartNone() throws Exception {
    Launcher.Run version = devproxy("--version");
    Launcher.Run status = devproxy("status");

    assertThat(version.exitCode()).as(version.toString()).isZero();
    assertThat(version.stdout().lines().toList()).startsWith(
        "devproxy " + VERSION,
        "daemon: not running (home " + home + ")",
        "agent image: ghcr.io/devproxy/traffic-agent:" + VERSION + " (the default)");
    assertThat(version.stderr()).isEmpty();
    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.stdout()).isEqualTo("daemon: not running (home " + home + ")\n");
    assertThat(home.resolve("daemon.sock")).doesNotExist();
  }

  @Test
  void daemonFromLibAnswersStatusVersionAndLogs() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try {
      // Starts the daemon (lib/devproxy-daemon.jar, found beside the CLI's jar), which cannot reach the agent.
      Launcher.Run intercept = devproxy("intercept", "orders", "--agent-address", "127.0.0.1:" + closedPort,
          "--port", "8080");
      assertThat(intercept.exitCode()).as(intercept.toString()).isEqualTo(4);

      Launcher.Run status = devproxy("status");
      Launcher.Run version = devproxy("--version");
      Launcher.Run logs = devproxy("logs", "-n", "50");

      assertThat(status.exitCode()).as(status.toString()).isZero();
      assertThat(status.stdout()).startsWith("daemon: running (version " + VERSION + ", pid ");
      assertThat(version.stdout().lines().toList()).startsWith("devproxy " + VERSION);
      assertThat(version.stdout()).contains("daemon: " + VERSION + " (pid ")
          .contains("agent image: ghcr.io/devproxy/traffic-agent:" + VERSION + " (the running daemon's)");
      assertThat(logs.exitCode()).as(logs.toString()).isZero();
      assertThat(logs.stdout()).contains("daemon " + VERSION + " started");
    } finally {
      Launcher.Run quit = devproxy("quit");
      assertThat(quit.exitCode()).as(quit.toString()).isZero();
    }
  }

  @Test
  void logsWithoutADaemonEverSaysSoInOneLine() throws Exception {
    Launcher.Run logs = devproxy("logs");

    assertThat(logs.exitCode()).isEqualTo(2);
    assertThat(logs.stdout()).isEmpty();
    assertThat(logs.stderr().lines().toList()).singleElement().asString()
        .startsWith("devproxy: no daemon has run with home " + home + " yet");
  }

  @Test
  void withoutJavaSaysHowToGetOneInOneLine() throws Exception {
    Launcher.Run nowhere = devproxy(user().andThen(env -> {
      env.remove("JAVA_HOME");
      env.put("PATH", scratch.resolve("nowhere").toString());
    }), "--version");
    Launcher.Run badJavaHome = devproxy(user().andThen(env -> env.put("JAVA_HOME", scratch.resolve("no-jdk").toString())),
        "status");

    assertThat(nowhere.exitCode()).as(nowhere.toString()).isEqualTo(7);
    assertThat(nowhere.stdout()).isEmpty();
    assertThat(nowhere.stderr().lines().toList()).singleElement().asString()
        .startsWith("devproxy: no java found")
        .contains("devproxy needs Java 17 or newer")
        .contains("apt install openjdk-17-jre-headless");
    assertThat(badJavaHome.exitCode()).isEqualTo(7);
    assertThat(badJavaHome.stderr().lines().toList()).singleElement().asString()
        .startsWith("devproxy: JAVA_HOME is " + scratch.resolve("no-jdk"));
  }

  @Test
  void tooOldJavaIsNamedWithItsVersion() throws Exception {
    Path oldJdk = Files.createDirectories(scratch.resolve("old-jdk/bin"));
    Path java = oldJdk.resolve("java");
    Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

    Launcher.Run run = devproxy(user().andThen(env -> {
      env.remove("JAVA_HOME");
      env.put("PATH", oldJdk + ":/usr/bin:/bin");
    }), "status");
    Launcher.Run explicit = devproxy(user().andThen(env -> env.put("DEVPROXY_JAVA", java.toString())), "status");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(7);
    assertThat(run.stderr().lines().toList()).singleElement().asString()
        .startsWith("devproxy: " + java + " is Java 11.0.22; devproxy needs Java 17 or newer");
    assertThat(explicit.exitCode()).isEqualTo(7);
  }

  @Test
  void findsItsInstallThroughASymlink() throws Exception {
    Path bin = Files.createDirectories(scratch.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("devproxy"), devproxy);

    Launcher.Run version = Launcher.run(scratch, user(), bin.resolve("devproxy").toString(), "--version");

    assertThat(version.exitCode()).as(version.toString()).isZero();
    assertThat(version.stdout()).startsWith("devproxy " + VERSION + "\n");
  }

  @Test
  void classDataArchiveIsRecordedOnceAndThenUsed() throws Exception {
    Path cache = scratch.resolve("cache/devproxy");
    Consumer<Map<String, String>> withCds = user().andThen(env -> env.remove("DEVPROXY_CDS"));

    Launcher.Run first = devproxy(withCds, "status");
    assertThat(first.exitCode()).as(first.toString()).isZero();
    await().atMost(Duration.ofSeconds(60)).until(() -> archives(cache).size() == 1);
    Path classes = scratch.resolve("classes.log");
    Launcher.Run second = devproxy(withCds.andThen(
        env -> env.put("DEVPROXY_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes)), "status");

    assertThat(second.exitCode()).as(second.toString()).isZero();
    assertThat(second.stdout()).isEqualTo(first.stdout());
    assertThat(second.stderr()).isEmpty();
    assertThat(Files.readAllLines(classes)).anyMatch(
        line -> line.contains("io.devproxy.cli.StatusCommand source: shared objects file (top)"));
    assertThat(cache).isDirectoryNotContaining("glob:**.failed");
  }

  @Test
  void archiveOfAnotherJarIsIgnoredSilently() throws Exception {
    Path cache = scratch.resolve("cache/devproxy");
    Consumer<Map<String, String>> withCds = user().andThen(env -> env.remove("DEVPROXY_CDS"));
    devproxy(withCds, "status");
    await().atMost(Duration.ofSeconds(60)).until(() -> archives(cache).size() == 1);
    Files.write(archives(cache).get(0), new byte[] {1, 2, 3, 4}); // not an archive this Java made

    Launcher.Run status = devproxy(withCds, "status");

    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.stdout()).isEqualTo("daemon: not running (home " + home + ")\n");
    assertThat(status.stderr()).isEmpty();
  }

  @Test
  void bashCompletionCompletesCommands() throws Exception {
    Launcher.Run bash = Launcher.run(scratch, env -> {}, "bash", "-c",
        "source '" + install.resolve("completions/devproxy.bash") + "'; COMP_WORDS=(devproxy st); COMP_CWORD=1;"
            + " _complete_devproxy; echo \"${COMPREPLY[@]}\"");

    assertThat(bash.exitCode()).as(bash.toString()).isZero();
    assertThat(bash.stdout().trim().split(" ")).contains("status");
  }

  @Test
  void zshCompletionParses() throws Exception {
    Assumptions.assumeTrue(onPath("zsh"), "zsh is not installed");
    Launcher.Run zsh = Launcher.run(scratch, env -> {}, "zsh", "-n", install.resolve("completions/_devproxy").toString());

    assertThat(zsh.exitCode()).as(zsh.toString()).isZero();
  }

  @Test
  void launcherIsShellcheckClean() throws Exception {
    Assumptions.assumeTrue(onPath("shellcheck"), "shellcheck is not installed (.ci/install-test-tools installs it)");
    Launcher.Run shellcheck = Launcher.run(scratch, env -> {}, "shellcheck", "--shell=sh", devproxy.toString());

    assertThat(shellcheck.exitCode()).as(shellcheck.toString()).isZero();
  }

  private static List<Path> archives(Path cache) throws IOException {
    if (!Files.isDirectory(cache)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(cache)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).toList();
    }
  }

  private static boolean onPath(String program) {
    return Stream.of(System.getenv("PATH").split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }
}

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonJarTest {

  @TempDir Path repo;

  private Path cliJar;
  private Path besideCli;
  private Path inRepo;
  private Path fromProperty;
  private Path fromEnv;

  @BeforeEach
  void setUp() throws Exception {
    cliJar = touch(repo.resolve("cli/target/devproxy-cli.jar"));
    besideCli = repo.resolve("cli/target/devproxy-daemon.jar");
    inRepo = repo.resolve("daemon/target/devproxy-daemon.jar");
    fromProperty = repo.resolve("p/daemon.jar");
    fromEnv = repo.resolve("e/daemon.jar");
  }

  private static Path touch(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, "jar");
  }

  private static UnaryOperator<String> vars(Map<String, String> values) {
    return values::get;
  }

  private Path locate(Map<String, String> properties, Map<String, String> env) throws Exception {
    return DaemonJar.locate(vars(properties), vars(env), Optional.of(cliJar));
  }

  @Test
  void systemPropertyComesFirst() throws Exception {
    touch(fromProperty);
    touch(fromEnv);
    touch(besideCli);

    assertThat(locate(Map.of("devproxy.daemon.jar", fromProperty.toString()), Map.of("DEVPROXY_DAEMON_JAR", fromEnv.toString())))
        .isEqualTo(fromProperty);
  }

  @Test
  void thenTheEnvironment() throws Exception {
    touch(fromEnv);
    touch(besideCli);

    assertThat(locate(Map.of(), Map.of("DEVPROXY_DAEMON_JAR", fromEnv.toString()))).isEqualTo(fromEnv);
  }

  @Test
  void thenNextToTheCliJar() throws Exception {
    touch(besideCli);
    touch(inRepo);

    assertThat(locate(Map.of(), Map.of())).isEqualTo(besideCli);
  }

  @Test
  void thenTheRepositoryLayout() throws Exception {
    touch(inRepo);

    assertThat(locate(Map.of(), Map.of())).isEqualTo(inRepo);
    assertThat(DaemonJar.locate(vars(Map.of()), vars(Map.of()), Optional.of(repo.resolve("cli/target/classes"))))
        .isEqualTo(inRepo);
  }

  @Test
  void explicitPathThatIsMissingIsNamed() {
    assertThatThrownBy(() -> locate(Map.of(), Map.of("DEVPROXY_DAEMON_JAR", fromEnv.toString())))
        .isInstanceOf(DaemonUnreachableException.class)
        .hasMessage("cannot start the daemon: " + fromEnv + " (from the environment variable DEVPROXY_DAEMON_JAR) is not a file");
  }

  @Test
  void nothingFoundListsWhereItLookedAndTheFix() {
    assertThatThrownBy(() -> locate(Map.of(), Map.of()))
        .isInstanceOf(DaemonUnreachableException.class)
        .hasMessageContaining(besideCli.toString())
        .hasMessageContaining(inRepo.toString())
        .hasMessageEndingWith("set DEVPROXY_DAEMON_JAR to its path");
  }

  @Test
  void launchCommandRunsTheJarOnTheHome() {
    HomeDir home = new HomeDir(repo.resolve("home"));

    assertThat(ProcessDaemonLauncher.command(inRepo, home))
        .endsWith("-jar", inRepo.toString(), "--home", home.dir().toString());
  }
}

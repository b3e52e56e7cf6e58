package io.devproxy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentJarTest {

  @TempDir Path repo;

  private Path cliJar;
  private Path besideCli;
  private Path inRepo;
  private Path fromProperty;
  private Path fromEnv;

  @BeforeEach
  void setUp() throws Exception {
    cliJar = touch(repo.resolve("cli/target/devproxy-cli.jar"));
    besideCli = repo.resolve("cli/target/devproxy-traffic-agent.jar");
    inRepo = repo.resolve("traffic-agent/target/devproxy-traffic-agent.jar");
    fromProperty = repo.resolve("p/agent.jar");
    fromEnv = repo.resolve("e/agent.jar");
  }

  private static Path touch(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, "jar");
  }

  private Path locate(Map<String, String> properties, Map<String, String> env) throws Exception {
    return AgentJar.locate(properties::get, env::get, Optional.of(cliJar));
  }

  @Test
  void systemPropertyComesFirst() throws Exception {
    touch(fromProperty);
    touch(fromEnv);
    touch(besideCli);

    assertThat(locate(Map.of("devproxy.agent.jar", fromProperty.toString()), Map.of("DEVPROXY_AGENT_JAR", fromEnv.toString())))
        .isEqualTo(fromProperty);
  }

  @Test
  void thenTheEnvironment() throws Exception {
    touch(fromEnv);
    touch(besideCli);

    assertThat(locate(Map.of(), Map.of("DEVPROXY_AGENT_JAR", fromEnv.toString()))).isEqualTo(fromEnv);
  }

  @Test
  void thenNextToTheCliJar() throws Exception {
    touch(besideCli);
    touch(inRepo);

    assertThat(locate(Map.of(), Map.of())).isEqualTo(besideCli);
  }

  @Test
  void thenTheAgentModuleOfTheCheckout() throws Exception {
    touch(inRepo);

    assertThat(locate(Map.of(), Map.of())).isEqualTo(inRepo);
  }

  @Test
  void fromTheCliClassesDirectoryTooAsInTheIde() throws Exception {
    touch(inRepo);

    assertThat(AgentJar.locate(k -> null, k -> null, Optional.of(repo.resolve("cli/target/classes")))).isEqualTo(inRepo);
  }

  @Test
  void aNamedJarThatIsMissingIsAConfigErrorNamingItsOrigin() {
    assertThatThrownBy(() -> locate(Map.of(), Map.of("DEVPROXY_AGENT_JAR", fromEnv.toString())))
        .isInstanceOfSatisfying(DevproxyException.class, e -> assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG))
        .hasMessageContaining(fromEnv.toString())
        .hasMessageContaining("DEVPROXY_AGENT_JAR");
  }

  @Test
  void noJarAnywhereListsWhereItLookedAndHowToFixIt() {
    assertThatThrownBy(() -> locate(Map.of(), Map.of()))
        .isInstanceOfSatisfying(DevproxyException.class, e -> assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG))
        .hasMessageContaining(besideCli.toString())
        .hasMessageContaining(inRepo.toString())
        .hasMessageContaining("DEVPROXY_AGENT_JAR");
  }

  @Test
  void blankSettingsAreIgnored() throws Exception {
    touch(inRepo);

    assertThat(locate(Map.of("devproxy.agent.jar", " "), Map.of("DEVPROXY_AGENT_JAR", ""))).isEqualTo(inRepo);
  }
}

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RbacCommandTest {

  @TempDir Path home;

  @Test
  void printsTheDeveloperRoleWithoutTheDaemon() throws Exception {
    CliRunner runner = new CliRunner(home);

    CliRunner.Result result = runner.run("rbac");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(result.out()).isEqualTo(RbacCommand.resource(RbacCommand.DEVELOPER));
    assertThat(result.out())
        .contains("kind: Role\n")
        .contains("name: devproxy-developer\n")
        .contains("resources: [\"pods/portforward\"]")
        .contains("name: developer@example.com")
        .doesNotContain("kind: ClusterRole")
        .doesNotContain("devproxy-agent");
    assertThat(runner.launches).hasValue(0);
  }

  @Test
  void agentFlagPrintsTheAgentServiceAccountAndRole() throws Exception {
    CliRunner.Result result = new CliRunner(home).run("rbac", "--agent");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).isEqualTo(RbacCommand.resource(RbacCommand.AGENT));
    assertThat(result.out())
        .contains("kind: ServiceAccount\n")
        .contains("kind: Role\n")
        .contains("kind: RoleBinding\n")
        .contains("name: devproxy-agent\n")
        .doesNotContain("devproxy-developer")
        .doesNotContain("kind: ClusterRole");
  }

  @Test
  void helpListsTheRbacCommand() {
    CliRunner.Result result = new CliRunner(home).run("--help");

    assertThat(result.out()).contains("rbac").contains("Print the RBAC a developer needs in a namespace");
  }
}

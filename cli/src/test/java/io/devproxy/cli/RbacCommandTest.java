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
  void userAndServiceAccountFillInTheRoleBindings() throws Exception {
    CliRunner.Result developer = new CliRunner(home).run("rbac", "--user", "alice@example.com");
    CliRunner.Result agent = new CliRunner(home).run("rbac", "--agent", "--service-account", "orders");

    assertThat(developer.exitCode()).as(developer.err()).isZero();
    assertThat(developer.out()).contains("    name: \"alice@example.com\"\n").doesNotContain("developer@example.com #");
    assertThat(agent.exitCode()).as(agent.err()).isZero();
    assertThat(agent.out())
        .startsWith("# The RBAC the devproxy traffic agent needs")
        .doesNotContain("\nkind: ServiceAccount\n")
        .contains("  - kind: ServiceAccount\n    name: orders\n")
        .contains("kind: Role\n").contains("kind: RoleBinding\n");
    assertThat(agent.out().split("(?m)^---\n")).hasSize(2).allSatisfy(d -> assertThat(d).contains("apiVersion: "));
  }

  @Test
  void serviceAccountWithoutAgentOrBadNamesAreUsageErrors() {
    CliRunner.Result withoutAgent = new CliRunner(home).run("rbac", "--service-account", "orders");
    CliRunner.Result badName = new CliRunner(home).run("rbac", "--agent", "--service-account", "Orders_1");
    CliRunner.Result userWithAgent = new CliRunner(home).run("rbac", "--agent", "--user", "alice");

    assertThat(withoutAgent.exitCode()).isEqualTo(2);
    assertThat(withoutAgent.err()).startsWith("devproxy: --service-account needs --agent");
    assertThat(badName.exitCode()).isEqualTo(2);
    assertThat(badName.err()).startsWith("devproxy: --service-account: 'Orders_1'");
    assertThat(userWithAgent.exitCode()).isEqualTo(2);
  }

  @Test
  void helpListsTheRbacCommand() {
    CliRunner.Result result = new CliRunner(home).run("--help");

    assertThat(result.out()).contains("rbac").contains("Print the RBAC a developer needs in a namespace");
  }
}

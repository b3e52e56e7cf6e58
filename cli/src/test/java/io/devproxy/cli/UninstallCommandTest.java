package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UninstallCommandTest extends FakeDaemonHomeTest {

  @Test
  void printsOneLinePerObjectRestoredOrDeleted() throws Exception {
    startDaemon().uninstallReply = UninstallReply.newBuilder().setNamespace("shop")
        .addChanges("restored deployment/orders").addChanges("deleted secret/devproxy-agent-tls-orders").build();

    CliRunner.Result result = new CliRunner(home()).run("uninstall", "orders", "-n", "shop", "--context", "dev");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList())
        .containsExactly("restored deployment/orders", "deleted secret/devproxy-agent-tls-orders");
    UninstallRequest request = daemon.uninstallRequests.get(0);
    assertThat(request.getName()).isEqualTo("orders");
    assertThat(request.getAll()).isFalse();
    assertThat(request.getKube().getNamespace()).isEqualTo("shop");
    assertThat(request.getKube().getContext()).isEqualTo("dev");
  }

  @Test
  void allWithNothingThereSaysSoAndJsonListsTheChanges() throws Exception {
    startDaemon().uninstallReply = UninstallReply.newBuilder().setNamespace("shop").build();

    CliRunner.Result text = new CliRunner(home()).run("uninstall", "--all");
    daemon.uninstallReply = UninstallReply.newBuilder().setNamespace("shop").addChanges("deleted lease/devproxy-1").build();
    CliRunner.Result json = new CliRunner(home()).run("uninstall", "--all", "-o", "json");

    assertThat(text.out()).isEqualTo("nothing of devproxy in namespace shop" + System.lineSeparator());
    assertThat(daemon.uninstallRequests.get(0).getAll()).isTrue();
    Map<String, Object> parsed = TestJson.object(TestJson.parse(json.out()));
    assertThat(parsed).containsEntry("namespace", "shop").containsEntry("changes", List.of("deleted lease/devproxy-1"));
  }

  @Test
  void nameAndAllTogetherOrNeitherIsAUsageError() {
    CliRunner cli = new CliRunner(home());

    CliRunner.Result both = cli.run("uninstall", "orders", "--all");
    CliRunner.Result neither = cli.run("uninstall");

    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).startsWith("devproxy: give a Service NAME or --all (not both)");
    assertThat(neither.exitCode()).isEqualTo(2);
    assertThat(cli.launches).hasValue(0);
  }

  @Test
  void aForbiddenCallExitsWithTheClusterCode() throws Exception {
    startDaemon().nextError = new DevproxyException(ErrorCategory.CLUSTER,
        "forbidden: delete secrets in namespace shop; ask for the devproxy developer Role (devproxy rbac)");

    CliRunner.Result result = new CliRunner(home()).run("uninstall", "--all", "-n", "shop");

    assertThat(result.exitCode()).isEqualTo(ErrorCategory.CLUSTER.exitCode());
    assertThat(result.err()).isEqualTo("devproxy: forbidden: delete secrets in namespace shop; ask for the devproxy"
        + " developer Role (devproxy rbac)" + System.lineSeparator());
  }
}

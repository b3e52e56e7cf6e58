package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreviewCommandTest extends FakeDaemonHomeTest {

  @Test
  void createPrintsTheUrlAndSendsHostDomainAndSecret() throws Exception {
    startDaemon();
    CliRunner cli = new CliRunner(home());

    CliRunner.Result plain = cli.run("preview", "create", "orders");
    CliRunner.Result tls = cli.run("preview", "create", "orders", "--host", "qa.example.com", "--tls-secret",
        "qa-cert", "-o", "json");
    cli.run("preview", "create", "orders", "--domain", "dev.example.com");

    assertThat(plain.exitCode()).as(plain.err()).isZero();
    assertThat(plain.out().lines().toList()).containsExactly(
        "preview of orders: http://alice-orders.preview.example.com/",
        "  mappings:  orders-preview-alice-123456");
    assertThat(TestJson.object(TestJson.parse(tls.out()))).containsEntry("url", "http://qa.example.com/")
        .containsEntry("intercept", "orders").containsEntry("mappings", List.of("orders-preview-alice-123456"));
    assertThat(daemon.previewRequests).containsExactly(
        CreatePreviewRequest.newBuilder().setName("orders").build(),
        CreatePreviewRequest.newBuilder().setName("orders").setHost("qa.example.com").setTlsSecret("qa-cert").build(),
        CreatePreviewRequest.newBuilder().setName("orders").setDomain("dev.example.com").build());
  }

  @Test
  void hostWithDomainIsAUsageErrorAndDaemonErrorsKeepTheirExitCode() throws Exception {
    startDaemon().nextError = new DevproxyException(ErrorCategory.USER,
        "no preview domain: pass --host HOST or --domain DOMAIN, or set previewDomain in"
            + " $DEVPROXY_HOME/config.properties");
    CliRunner cli = new CliRunner(home());

    CliRunner.Result both = cli.run("preview", "create", "orders", "--host", "a.example.com", "--domain", "x.com");
    CliRunner.Result noDomain = cli.run("preview", "create", "orders");
    CliRunner.Result noSubcommand = cli.run("preview");

    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).startsWith("devproxy: give --host or --domain, not both");
    assertThat(noDomain.exitCode()).isEqualTo(ErrorCategory.USER.exitCode());
    assertThat(noDomain.err()).isEqualTo("devproxy: no preview domain: pass --host HOST or --domain DOMAIN, or set"
        + " previewDomain in $DEVPROXY_HOME/config.properties" + System.lineSeparator());
    assertThat(noSubcommand.exitCode()).isEqualTo(2);
    assertThat(noSubcommand.err()).startsWith("devproxy: missing subcommand: create, list or delete");
  }

  @Test
  void listShowsEveryInterceptsPreviewsAndDeleteNamesWhatWent() throws Exception {
    startDaemon().status = StatusReply.newBuilder().setVersion("1").addIntercepts(InterceptInfo.newBuilder()
        .setName("orders").setNamespace("shop")
        .addPreviews(Preview.newBuilder().setHost("a.example.com").setUrl("https://a.example.com/")
            .addMappings("orders-api-preview-alice-aaaaaa").addMappings("orders-grpc-preview-alice-bbbbbb"))
        .addPreviews(Preview.newBuilder().setHost("b.example.com").setUrl("http://b.example.com/")
            .addMappings("orders-preview-alice-cccccc")))
        .addIntercepts(InterceptInfo.newBuilder().setName("billing").setNamespace("shop"))
        .build();
    CliRunner cli = new CliRunner(home());

    CliRunner.Result list = cli.run("preview", "list");
    CliRunner.Result json = cli.run("preview", "list", "-o", "json");
    CliRunner.Result delete = cli.run("preview", "delete", "orders", "--host", "a.example.com");

    assertThat(list.out().lines().toList()).containsExactly(
        "INTERCEPT  URL                     MAPPINGS",
        "orders     https://a.example.com/  orders-api-preview-alice-aaaaaa,orders-grpc-preview-alice-bbbbbb",
        "orders     http://b.example.com/   orders-preview-alice-cccccc");
    List<Object> parsed = TestJson.array(TestJson.parse(json.out()));
    assertThat(parsed).hasSize(2);
    assertThat(TestJson.object(parsed.get(1))).containsEntry("host", "b.example.com");
    assertThat(delete.out()).isEqualTo("deleted the preview a.example.com" + System.lineSeparator());
    assertThat(daemon.previewDeletes.get(0).getHost()).isEqualTo("a.example.com");
  }

  @Test
  void listWithoutADaemonHasNoPreviews() {
    CliRunner cli = new CliRunner(home());

    CliRunner.Result list = cli.run("preview", "list");

    assertThat(list.exitCode()).isZero();
    assertThat(list.out()).isEqualTo("no previews" + System.lineSeparator());
    assertThat(cli.launches).hasValue(0);
  }
}

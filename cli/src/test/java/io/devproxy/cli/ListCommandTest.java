package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.proto.daemon.KubeOptions;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.PortInfo;
import io.devproxy.proto.daemon.ServiceInfo;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ListCommandTest extends FakeDaemonHomeTest {

  private static final ServiceInfo ORDERS =
      ServiceInfo.newBuilder()
          .setName("orders")
          .setWorkloadKind("Deployment")
          .setWorkloadName("orders")
          .addPorts(PortInfo.newBuilder().setServicePort(8080).setServicePortName("web").setContainer("app")
              .setContainerPort(8080).setContainerPortName("http"))
          .addPorts(PortInfo.newBuilder().setServicePort(9090).setContainer("app").setContainerPort(9090))
          .addInterceptedBy("alice")
          .addInterceptedBy("bob")
          .build();

  private static final ServiceInfo GRPC =
      ServiceInfo.newBuilder()
          .setName("grpc-example")
          .setWorkloadKind("StatefulSet")
          .setWorkloadName("grpc")
          .addPorts(PortInfo.newBuilder().setContainer("grpc").setContainerPort(50051).setContainerPortName("grpc"))
          .build();

  private static final ServiceInfo EXTERNAL =
      ServiceInfo.newBuilder()
          .setName("external-db")
          .addPorts(PortInfo.newBuilder().setServicePort(5432).setServicePortName("pg"))
          .setNotInterceptableReason("Service external-db has no selector; intercept the Service of a workload")
          .build();

  private static final ListReply SHOP =
      ListReply.newBuilder().setNamespace("shop").addServices(EXTERNAL).addServices(GRPC).addServices(ORDERS).build();

  @Test
  void tableShowsWorkloadsPortsInterceptorsAndWhyNot() throws Exception {
    startDaemon().listReply = SHOP;

    CliRunner.Result result = new CliRunner(home()).run("list", "-n", "shop");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList())
        .containsExactly(
            "NAME          WORKLOAD           PORTS                               INTERCEPTED BY",
            "external-db   - *                5432                                -",
            "grpc-example  StatefulSet/grpc   grpc:grpc(50051)                    -",
            "orders        Deployment/orders  8080\u2192app:http(8080), 9090\u2192app:9090  alice, bob",
            "",
            "* external-db: not interceptable: Service external-db has no selector; intercept the Service of a"
                + " workload");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void emptyNamespaceSaysSo() throws Exception {
    startDaemon().listReply = ListReply.newBuilder().setNamespace("empty").build();

    CliRunner.Result result = new CliRunner(home()).run("list");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("no Services in namespace empty" + System.lineSeparator());
  }

  @Test
  void jsonIsMachineReadable() throws Exception {
    startDaemon().listReply = SHOP;

    CliRunner.Result result = new CliRunner(home()).run("list", "-o", "json");

    assertThat(result.exitCode()).as(result.err()).isZero();
    Map<String, Object> json = TestJson.object(TestJson.parse(result.out()));
    assertThat(json).containsEntry("namespace", "shop");
    List<Object> services = TestJson.array(json.get("services"));
    assertThat(services).hasSize(3);
    Map<String, Object> external = TestJson.object(services.get(0));
    assertThat(external)
        .containsEntry("name", "external-db")
        .containsEntry("workloadKind", "")
        .containsEntry("interceptable", false)
        .containsEntry("notInterceptableReason", EXTERNAL.getNotInterceptableReason());
    Map<String, Object> orders = TestJson.object(services.get(2));
    assertThat(orders)
        .containsEntry("name", "orders")
        .containsEntry("workloadKind", "Deployment")
        .containsEntry("workloadName", "orders")
        .containsEntry("interceptable", true)
        .containsEntry("notInterceptableReason", "")
        .containsEntry("interceptedBy", List.of("alice", "bob"));
    List<Object> ports = TestJson.array(orders.get("ports"));
    assertThat(ports).hasSize(2);
    assertThat(TestJson.object(ports.get(0)))
        .containsEntry("servicePort", 8080.0)
        .containsEntry("servicePortName", "web")
        .containsEntry("container", "app")
        .containsEntry("containerPort", 8080.0)
        .containsEntry("containerPortName", "http");
  }

  @Test
  void kubeFlagsReachTheDaemon() throws Exception {
    startDaemon();
    Path kubeconfig = dir.resolve("kc.yaml");

    CliRunner.Result result = new CliRunner(home())
        .run("list", "-n", "shop", "--context", "staging", "--kubeconfig", kubeconfig.toString());

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(daemon.listRequests).hasSize(1);
    assertThat(daemon.listRequests.get(0).getKube()).isEqualTo(KubeOptions.newBuilder()
        .setContext("staging").setNamespace("shop").setKubeconfig(kubeconfig.toString()).build());
  }

  @Test
  void longNamespaceFlag() throws Exception {
    startDaemon();

    CliRunner.Result result = new CliRunner(home()).run("list", "--namespace=team-a", "--kubeconfig", "/k");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(daemon.listRequests.get(0).getKube())
        .isEqualTo(KubeOptions.newBuilder().setNamespace("team-a").setKubeconfig("/k").build());
  }

  @Test
  void clusterErrorMapsToItsExitCode() throws Exception {
    startDaemon().nextError = new DevproxyException(ErrorCategory.CLUSTER,
        "forbidden: list services in namespace shop; ask for the devproxy developer Role (devproxy rbac)");

    CliRunner.Result result = new CliRunner(home()).run("list", "-n", "shop");

    assertThat(result.exitCode()).isEqualTo(4);
    assertThat(result.err()).isEqualTo("devproxy: forbidden: list services in namespace shop; ask for the devproxy"
        + " developer Role (devproxy rbac)" + System.lineSeparator());
    assertThat(result.out()).isEmpty();
  }

  @Test
  void configErrorMapsToItsExitCode() throws Exception {
    startDaemon().nextError = new DevproxyException(ErrorCategory.CONFIG, "context 'x' not found");

    CliRunner.Result result = new CliRunner(home()).run("list", "--context", "x");

    assertThat(result.exitCode()).isEqualTo(3);
  }

  @Test
  void namespaceFlagNeedsAValue() {
    CliRunner.Result result = new CliRunner(home()).run("list", "-n");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(result.err()).endsWith("Run 'devproxy list --help'." + System.lineSeparator());
  }

  private static io.devproxy.cli.KubeOptions parse(String... args) {
    io.devproxy.cli.KubeOptions kube = new io.devproxy.cli.KubeOptions();
    new CommandLine(kube).parseArgs(args);
    return kube;
  }

  @Test
  void singleFileKubeconfigFromTheEnvironmentGoesToTheDaemonAbsolute() {
    assertThat(parse().toProto(Map.of("KUBECONFIG", "/home/alice/.kube/dev")).getKubeconfig())
        .isEqualTo("/home/alice/.kube/dev");
    assertThat(parse().toProto(Map.of("KUBECONFIG", "rel/kc")).getKubeconfig())
        .isEqualTo(Path.of("rel/kc").toAbsolutePath().toString());
  }

  @Test
  void kubeconfigFlagWinsOverTheEnvironment() {
    assertThat(parse("--kubeconfig", "/flag").toProto(Map.of("KUBECONFIG", "/env")).getKubeconfig())
        .isEqualTo("/flag");
  }

  @Test
  void severalFilesOrNoKubeconfigLeaveItToTheDaemon() {
    assertThat(parse().toProto(Map.of("KUBECONFIG", "/a:/b"))).isEqualTo(KubeOptions.getDefaultInstance());
    assertThat(parse().toProto(Map.of())).isEqualTo(KubeOptions.getDefaultInstance());
    assertThat(parse("-n", "x").toProto(Map.of("KUBECONFIG", " ")))
        .isEqualTo(KubeOptions.newBuilder().setNamespace("x").build());
  }
}

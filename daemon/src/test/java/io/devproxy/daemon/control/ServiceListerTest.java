package io.devproxy.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.daemon.kube.SessionLeases;
import io.devproxy.proto.daemon.KubeOptions;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.ListRequest;
import io.devproxy.proto.daemon.PortInfo;
import io.devproxy.proto.daemon.ServiceInfo;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.errors.ErrorStatus;
import io.devproxy.tunnel.netty.EventLoops;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.StatusRuntimeException;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code List} through the control socket, against fabric8's mock API server in CRUD mode. */
@EnableKubernetesMockClient(crud = true)
class ServiceListerTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path dir;

  private EventLoopGroup group;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<io.devproxy.daemon.kube.KubeOptions> opened = new ArrayList<>();

  @BeforeEach
  void setUp() {
    group = EventLoops.newGroup("list-test", 1);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /**
   * A new client of the mock server per call (the lister closes it), with the namespace the options ask
   * for, else the mock's ("test"), as KubeClients resolves it.
   */
  private KubernetesClient mockClient(io.devproxy.daemon.kube.KubeOptions options) {
    opened.add(options);
    ConfigBuilder config = new ConfigBuilder(client.getConfiguration());
    if (options.namespace() != null) {
      config.withNamespace(options.namespace());
    }
    return new KubernetesClientBuilder().withConfig(config.build()).build();
  }

  private ControlClient start(ServiceLister lister) throws DevproxyException {
    DaemonService service =
        new DaemonService(new FakeIntercepts(), new DaemonInfo("1.2.3", 1, dir.toString(), "agent:1.2.3"), () -> {}, lister, null);
    Path socket = dir.resolve("daemon.sock");
    ControlServer control = new ControlServer(socket, service, group);
    closeables.add(control);
    control.start();
    ControlClient controlClient = new ControlClient(socket, group);
    closeables.add(controlClient);
    return controlClient;
  }

  private static ListRequest request(String context, String namespace, String kubeconfig) {
    return ListRequest.newBuilder()
        .setKube(KubeOptions.newBuilder().setContext(context).setNamespace(namespace).setKubeconfig(kubeconfig))
        .build();
  }

  private static void createShop(String ns) {
    Map<String, String> labels = Map.of("app", "orders");
    client.resource(new DeploymentBuilder()
        .withNewMetadata().withNamespace(ns).withName("orders").endMetadata()
        .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec().withContainers(new ContainerBuilder().withName("app").withImage("orders:1")
            .withPorts(new ContainerPortBuilder().withName("http").withContainerPort(8080).withProtocol("TCP").build())
            .build())
        .endSpec().endTemplate().endSpec().build()).create();
    client.resource(new ServiceBuilder()
        .withNewMetadata().withNamespace(ns).withName("orders").endMetadata()
        .withNewSpec().withSelector(labels).addNewPort().withName("web").withPort(80).withProtocol("TCP")
        .withTargetPort(new IntOrString("http")).endPort().endSpec().build()).create();
    client.resource(new ServiceBuilder()
        .withNewMetadata().withNamespace(ns).withName("external-db").endMetadata()
        .withNewSpec().addNewPort().withName("pg").withPort(5432).withProtocol("TCP")
        .withTargetPort(new IntOrString(5432)).endPort().endSpec().build()).create();
  }

  @Test
  void listsTheNamespaceServicesWithWorkloadsPortsAndReasons() throws Exception {
    createShop("shop");
    ControlClient control = start(new ServiceLister(this::mockClient));

    ListReply reply = control.stub().list(request("dev", "shop", "/home/alice/.kube/config"));

    assertThat(opened).containsExactly(
        new io.devproxy.daemon.kube.KubeOptions("dev", "shop", Path.of("/home/alice/.kube/config")));
    assertThat(reply.getNamespace()).isEqualTo("shop");
    assertThat(reply.getServicesList()).extracting(ServiceInfo::getName).containsExactly("external-db", "orders");
    ServiceInfo db = reply.getServices(0);
    assertThat(db.getWorkloadKind()).isEmpty();
    assertThat(db.getNotInterceptableReason()).contains("no selector");
    assertThat(db.getPortsList()).containsExactly(
        PortInfo.newBuilder().setServicePort(5432).setServicePortName("pg").build());
    assertThat(reply.getServices(1)).isEqualTo(ServiceInfo.newBuilder()
        .setName("orders").setWorkloadKind("Deployment").setWorkloadName("orders")
        .addPorts(PortInfo.newBuilder().setServicePort(80).setServicePortName("web").setContainer("app")
            .setContainerPort(8080).setContainerPortName("http"))
        .build());
  }

  @Test
  void interceptedByNamesTheHoldersOfLiveSessionLeases() throws Exception {
    createShop("leased");
    SessionLeases leases = new SessionLeases(client, Clock.systemUTC());
    leases.acquire("leased", "alice-session-1", "alice@laptop", "Deployment", "orders", "orders");
    leases.acquire("leased", "bob-session-22", "bob@desk", "Deployment", "orders", "orders");
    SessionLeases past = new SessionLeases(client, Clock.offset(Clock.systemUTC(), Duration.ofHours(-1)));
    past.acquire("leased", "carol-session-3", "carol@gone", "Deployment", "orders", "orders");
    ControlClient control = start(new ServiceLister(this::mockClient));

    ListReply reply = control.stub().list(request("", "leased", ""));

    assertThat(reply.getServicesList()).filteredOn(s -> s.getName().equals("orders")).singleElement()
        .satisfies(s -> assertThat(s.getInterceptedByList()).as("expired Leases do not count")
            .containsExactly("alice@laptop", "bob@desk"));
    assertThat(reply.getServicesList()).filteredOn(s -> s.getName().equals("external-db")).singleElement()
        .satisfies(s -> assertThat(s.getInterceptedByList()).isEmpty());
  }

  @Test
  void emptyOptionsMeanNullAndTheClientsNamespaceIsListed() throws Exception {
    createShop(client.getNamespace());
    ControlClient control = start(new ServiceLister(this::mockClient));

    ListReply reply = control.stub().list(ListRequest.getDefaultInstance());

    assertThat(opened).containsExactly(io.devproxy.daemon.kube.KubeOptions.defaults());
    assertThat(reply.getNamespace()).isEqualTo(client.getNamespace());
    assertThat(reply.getServicesList()).extracting(ServiceInfo::getName).containsExactly("external-db", "orders");
  }

  @Test
  void forbiddenIsAClusterErrorNamingTheMissingPermission() throws Exception {
    server.expect().get().withPath("/api/v1/namespaces/locked/services")
        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
            .withMessage("services is forbidden: User \"dev\" cannot list resource \"services\"").build())
        .once();
    ControlClient control = start(new ServiceLister(this::mockClient));

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> control.stub().list(request("", "locked", "")));

    DevproxyException error = ErrorStatus.fromStatus(e);
    assertThat(error.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(error.getMessage()).isEqualTo(
        "forbidden: list services in namespace locked; ask for the devproxy developer Role (devproxy rbac)");
  }

  @Test
  void missingKubeconfigIsAConfigError() throws Exception {
    Path missing = dir.resolve("no-such-kubeconfig");
    ControlClient control = start(new ServiceLister());

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> control.stub().list(request("", "", missing.toString())));

    DevproxyException error = ErrorStatus.fromStatus(e);
    assertThat(error.category()).isEqualTo(ErrorCategory.CONFIG);
    assertThat(error.getMessage()).contains("cannot read the kubeconfig " + missing);
  }

  @Test
  void invalidKubeconfigPathIsAUserError() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> ServiceLister.options(KubeOptions.newBuilder().setKubeconfig("a\0b").build()));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).startsWith("--kubeconfig: ");
  }
}

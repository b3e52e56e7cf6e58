package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.headless;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.replicaSet;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class TargetResolverTest {

  static KubernetesClient client;

  private static final Map<String, String> APP = Map.of("app", "orders");

  private static void create(HasMetadata... objects) {
    for (HasMetadata o : objects) {
      client.resource(o).create();
    }
  }

  private static InterceptTarget resolve(String ns, String svc, String port, String container) throws Exception {
    return new TargetResolver(client).resolve(ns, svc, port, container);
  }

  private static DevproxyException failure(String ns, String svc, String port, String container) {
    return catchThrowableOfType(DevproxyException.class, () -> resolve(ns, svc, port, container));
  }

  @Test
  void namedTargetPortResolvesToTheContainerPortWithThatName() throws Exception {
    create(deployment("named", "orders", APP, container("app", port("http", 8080), port("metrics", 9102))),
        service("named", "orders", APP, servicePort("web", 80, new IntOrString("http"))));

    assertThat(resolve("named", "orders", null, null)).isEqualTo(new InterceptTarget("named", "orders",
        "Deployment", "orders", "app", 8080, "http", 80, new IntOrString("http")));
  }

  @Test
  void numericTargetPortResolvesToTheContainerPortWithThatNumber() throws Exception {
    create(deployment("numeric", "orders", APP, container("app", port("web", 8080), port("metrics", 9102))),
        service("numeric", "orders", APP, servicePort("http", 80, new IntOrString(8080))));

    InterceptTarget target = resolve("numeric", "orders", "80", null);

    assertThat(target.containerPort()).isEqualTo(8080);
    assertThat(target.portName()).isEqualTo("web");
    assertThat(target.targetPort()).isEqualTo(new IntOrString(8080));
    assertThat(target.targetPortIsName()).isFalse();
  }

  @Test
  void numericTargetPortNotDeclaredByTheOnlyContainerStillResolves() throws Exception {
    create(deployment("undeclared", "orders", APP, container("app")),
        service("undeclared", "orders", APP, servicePort(null, 80, new IntOrString(8080))));

    InterceptTarget target = resolve("undeclared", "orders", null, null);

    assertThat(target.container()).isEqualTo("app");
    assertThat(target.containerPort()).isEqualTo(8080);
    assertThat(target.portName()).isNull();
  }

  @Test
  void headlessServiceWithoutPortsResolvesThroughTheContainerPorts() throws Exception {
    Map<String, String> grpc = Map.of("app", "grpc-example");
    create(deployment("grpc", "grpc-example", grpc, container("grpc", port("grpc", 50051))),
        headless("grpc", "grpc-example", grpc));

    InterceptTarget byNumber = resolve("grpc", "grpc-example", "50051", null);
    InterceptTarget byName = resolve("grpc", "grpc-example", "grpc", null);
    InterceptTarget byDefault = resolve("grpc", "grpc-example", null, null);

    InterceptTarget expected = new InterceptTarget("grpc", "grpc-example", "Deployment", "grpc-example", "grpc",
        50051, "grpc", null, null);
    assertThat(byNumber).isEqualTo(expected);
    assertThat(byName).isEqualTo(expected);
    assertThat(byDefault).isEqualTo(expected);
  }

  @Test
  void headlessServiceWithSeveralContainerPortsNeedsPort() {
    Map<String, String> grpc = Map.of("app", "grpc-example");
    create(deployment("grpc2", "grpc-example", grpc, container("grpc", port("grpc", 50051), port("admin", 9901))),
        headless("grpc2", "grpc-example", grpc));

    DevproxyException e = failure("grpc2", "grpc-example", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("grpc:grpc/50051", "grpc:admin/9901", "--port");
  }

  @Test
  void multiPortServicePicksThePortByNameOrNumber() throws Exception {
    create(deployment("multi", "orders", APP, container("app", port("http", 8080), port("grpc", 9090))),
        service("multi", "orders", APP, servicePort("http", 80, new IntOrString("http")),
            servicePort("grpc", 9090, new IntOrString(9090))));

    InterceptTarget byName = resolve("multi", "orders", "grpc", null);
    InterceptTarget byNumber = resolve("multi", "orders", "80", null);

    assertThat(byName.containerPort()).isEqualTo(9090);
    assertThat(byName.servicePort()).isEqualTo(9090);
    assertThat(byName.portName()).isEqualTo("grpc");
    assertThat(byNumber.containerPort()).isEqualTo(8080);
    assertThat(byNumber.servicePort()).isEqualTo(80);
    assertThat(byNumber.targetPortIsName()).isTrue();
  }

  @Test
  void multiPortServiceWithoutPortIsAnErrorListingThePorts() {
    create(deployment("multi2", "orders", APP, container("app", port("http", 8080), port("grpc", 9090))),
        service("multi2", "orders", APP, servicePort("http", 80, new IntOrString("http")),
            servicePort("grpc", 9090, new IntOrString(9090))));

    DevproxyException e = failure("multi2", "orders", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("http 80->http", "grpc 9090->9090", "--port");
  }

  @Test
  void multiContainerPodNeedsContainerWhenThePortIsAmbiguous() throws Exception {
    create(deployment("sidecars", "orders", APP, container("app", port("http", 8080)),
            container("envoy", port("http", 8080))),
        service("sidecars", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    DevproxyException e = failure("sidecars", "orders", null, null);
    InterceptTarget target = resolve("sidecars", "orders", null, "envoy");

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("app, envoy", "--container");
    assertThat(target.container()).isEqualTo("envoy");
    assertThat(target.containerPort()).isEqualTo(8080);
  }

  @Test
  void multiContainerPodResolvesWithoutContainerWhenOnlyOneDeclaresThePort() throws Exception {
    create(deployment("sidecar", "orders", APP, container("app", port("http", 8080)),
            container("log-shipper", port("metrics", 9102))),
        service("sidecar", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    assertThat(resolve("sidecar", "orders", null, null).container()).isEqualTo("app");
  }

  @Test
  void unknownContainerIsAnErrorListingTheContainers() {
    create(deployment("nocontainer", "orders", APP, container("app", port("http", 8080)),
            container("envoy", port("admin", 9901))),
        service("nocontainer", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    DevproxyException e = failure("nocontainer", "orders", null, "web");

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("'web'", "app, envoy");
  }

  @Test
  void statefulSetIsResolved() throws Exception {
    Map<String, String> db = Map.of("app", "ledger");
    create(statefulSet("sts", "ledger", db, container("ledger", port("pg", 5432))),
        service("sts", "ledger", db, servicePort("pg", 5432, new IntOrString("pg"))));

    InterceptTarget target = resolve("sts", "ledger", null, null);

    assertThat(target.workloadKind()).isEqualTo("StatefulSet");
    assertThat(target.workloadName()).isEqualTo("ledger");
    assertThat(target.containerPort()).isEqualTo(5432);
  }

  @Test
  void replicaSetOwnedByADeploymentIsNotPickedTwice() throws Exception {
    create(deployment("owned", "orders", APP, container("app", port("http", 8080))),
        replicaSet("owned", "orders-5d8f7c9b4", "orders", APP, container("app", port("http", 8080))),
        service("owned", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    InterceptTarget target = resolve("owned", "orders", null, null);

    assertThat(target.workloadKind()).isEqualTo("Deployment");
    assertThat(target.workloadName()).isEqualTo("orders");
  }

  @Test
  void bareReplicaSetIsResolved() throws Exception {
    create(replicaSet("bare", "orders-legacy", null, APP, container("app", port("http", 8080))),
        service("bare", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    InterceptTarget target = resolve("bare", "orders", null, null);

    assertThat(target.workloadKind()).isEqualTo("ReplicaSet");
    assertThat(target.workloadName()).isEqualTo("orders-legacy");
  }

  @Test
  void missingServiceIsAUserError() {
    DevproxyException e = failure("empty", "orders", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo(
        "service 'orders' not found in namespace 'empty'; 'devproxy list' shows the interceptable ones");
  }

  @Test
  void serviceWithoutSelectorIsAUserError() {
    create(service("noselector", "external-db", null, servicePort("pg", 5432, new IntOrString(5432))));

    DevproxyException e = failure("noselector", "external-db", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("'external-db'", "no selector");
  }

  @Test
  void serviceSelectingNoWorkloadIsAUserError() {
    create(deployment("nomatch", "payments", Map.of("app", "payments"), container("app", port("http", 8080))),
        service("nomatch", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    DevproxyException e = failure("nomatch", "orders", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage())
        .startsWith("no Deployment, StatefulSet or ReplicaSet in 'nomatch' has pods matching app=orders");
  }

  @Test
  void serviceSelectingSeveralWorkloadsIsAUserErrorListingThem() {
    Map<String, String> selector = Map.of("app", "orders");
    create(deployment("several", "orders-v1", Map.of("app", "orders", "version", "v1"),
            container("app", port("http", 8080))),
        deployment("several", "orders-v2", Map.of("app", "orders", "version", "v2"),
            container("app", port("http", 8080))),
        service("several", "orders", selector, servicePort("http", 80, new IntOrString("http"))));

    DevproxyException e = failure("several", "orders", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("Deployment/orders-v1, Deployment/orders-v2");
  }

  @Test
  void unknownPortIsAUserErrorListingThePorts() {
    create(deployment("noport", "orders", APP, container("app", port("http", 8080))),
        service("noport", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    DevproxyException byNumber = failure("noport", "orders", "8443", null);
    DevproxyException byName = failure("noport", "orders", "https", null);

    assertThat(byNumber.category()).isEqualTo(ErrorCategory.USER);
    assertThat(byNumber.getMessage()).startsWith("port '8443' not found on service 'orders'").contains("http 80->http");
    assertThat(byName.getMessage()).startsWith("port 'https' not found on service 'orders'");
  }

  @Test
  void namedTargetPortThatNoContainerDeclaresIsAUserError() {
    create(deployment("badname", "orders", APP, container("app", port("web", 8080))),
        service("badname", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    DevproxyException e = failure("badname", "orders", null, null);

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).contains("port named 'http'", "Deployment/orders");
  }

  @Test
  void outOfRangePortIsAUserError() {
    create(deployment("range", "orders", APP, container("app", port("http", 8080))),
        service("range", "orders", APP, servicePort("http", 80, new IntOrString("http"))));

    assertThat(failure("range", "orders", "70000", null).getMessage())
        .isEqualTo("port: 70000 (expected: 1-65535 or a port name)");
  }
}

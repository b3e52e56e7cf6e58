package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.headless;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.daemon.kube.InterceptableService.PortMapping;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class ServiceCatalogTest {

  static KubernetesClient client;

  @Test
  void listsEveryServiceSortedWithItsWorkloadAndPortsOrWhyNot() throws Exception {
    String ns = "shop";
    Map<String, String> orders = Map.of("app", "orders");
    Map<String, String> grpc = Map.of("app", "grpc-example");
    Map<String, String> ledger = Map.of("app", "ledger");
    for (HasMetadata o : List.of(
        deployment(ns, "orders", orders, container("app", port("http", 8080), port("grpc", 9090))),
        deployment(ns, "grpc-example", grpc, container("grpc", port("grpc", 50051))),
        statefulSet(ns, "ledger", ledger, container("ledger", port("pg", 5432))),
        service(ns, "orders", orders, servicePort("http", 80, new IntOrString("http")),
            servicePort("grpc", 9090, new IntOrString(9090))),
        headless(ns, "grpc-example", grpc),
        service(ns, "ledger", ledger, servicePort("pg", 5432, null)),
        service(ns, "external-db", null, servicePort("pg", 5432, new IntOrString(5432))),
        service(ns, "ghost", Map.of("app", "ghost"), servicePort("http", 80, new IntOrString(8080))))) {
      client.resource(o).create();
    }

    List<InterceptableService> services = new ServiceCatalog(client).list(ns);

    assertThat(services).extracting(InterceptableService::name)
        .containsExactly("external-db", "ghost", "grpc-example", "ledger", "orders");
    assertThat(services.get(0).interceptable()).isFalse();
    assertThat(services.get(0).reason()).contains("no selector");
    assertThat(services.get(1).reason()).contains("has pods matching app=ghost");
    assertThat(services.get(1).ports()).containsExactly(new PortMapping(80, "http", null, null, null));
    assertThat(services.get(2)).isEqualTo(new InterceptableService("grpc-example", "Deployment", "grpc-example",
        List.of(new PortMapping(null, null, "grpc", 50051, "grpc")), null));
    assertThat(services.get(3)).isEqualTo(new InterceptableService("ledger", "StatefulSet", "ledger",
        List.of(new PortMapping(5432, "pg", "ledger", 5432, "pg")), null));
    assertThat(services.get(4)).isEqualTo(new InterceptableService("orders", "Deployment", "orders",
        List.of(new PortMapping(80, "http", "app", 8080, "http"), new PortMapping(9090, "grpc", "app", 9090, "grpc")),
        null));
  }

  @Test
  void emptyNamespaceListsNothing() throws Exception {
    assertThat(new ServiceCatalog(client).list("nothing-here")).isEmpty();
  }
}

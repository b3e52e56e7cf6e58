package io.devproxy.e2e.kube;

import io.devproxy.sandbox.http.RestServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

/** The sample "orders" application the Kubernetes end-to-end tests intercept, and the ports they run it on. */
final class OrdersApp {

  static final Map<String, String> LABELS = Map.of("app", "orders");

  private OrdersApp() {}

  /** The app's port and the agent's tunnel and admin ports, free when asked and distinct. */
  record Ports(int app, int tunnel, int admin) {

    static Ports free() throws IOException {
      try (ServerSocket a = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
          ServerSocket b = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
          ServerSocket c = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        return new Ports(a.getLocalPort(), b.getLocalPort(), c.getLocalPort());
      }
    }
  }

  /** The orders Deployment (one replica, its app probed on the port named http) and its Service on port 80. */
  static void create(KubernetesClient client, String ns, int appPort) {
    Container app = new ContainerBuilder().withName("app").withImage("registry.example.com/orders:1.0")
        .addNewPort().withName("http").withContainerPort(appPort).withProtocol("TCP").endPort()
        .withNewReadinessProbe().withNewHttpGet().withPath("/who").withPort(new IntOrString("http")).endHttpGet()
            .withPeriodSeconds(2).endReadinessProbe()
        .build();
    client.resource(deployment(ns, "orders", LABELS, 1, app)).create();
    client.resource(new ServiceBuilder().withNewMetadata().withName("orders").withNamespace(ns).endMetadata()
        .withNewSpec().withSelector(LABELS).addNewPort().withName("web").withPort(80)
            .withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort().endSpec()
        .build()).create();
  }

  static Deployment deployment(String ns, String name, Map<String, String> labels, int replicas,
      Container container) {
    return new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(labels).endSelector()
            .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().withContainers(container).endSpec()
            .endTemplate()
        .endSpec().build();
  }

  /** The cluster's copy of the app, a {@link KubeletStandIn.AppContainers}: RestServer "cluster" on the port. */
  static AutoCloseable clusterApp(Container container, Map<String, String> env) {
    int port = container.getPorts().get(0).getContainerPort();
    RestServer server = new RestServer("cluster", new InetSocketAddress(InetAddress.getLoopbackAddress(), port), false);
    server.start();
    return server;
  }
}

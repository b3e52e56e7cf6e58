package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;

/** The orders workload the swap and shadow tests share, as the API server hands it back. */
final class ModeFixtures {

  static final Map<String, String> APP = Map.of("app", "orders");
  static final AgentSpec AGENT = AgentSpec.defaults("ghcr.io/devproxy/agent:1.0", "orders");

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private ModeFixtures() {}

  /** The object as the API server would hand it back (JSON does not tell a null list from an empty one). */
  static <T> T fromApi(T object) {
    return JSON.clone(object);
  }

  /** The app as a real chart writes it: env from literals, a Secret and a ConfigMap, mounts, probes, a hook. */
  static Container app() {
    return new ContainerBuilder(container("app", port("http", 8080), port("metrics", 9102)))
        .withCommand("java", "-jar", "/app.jar")
        .addNewEnv().withName("SPRING_PROFILES_ACTIVE").withValue("k8s").endEnv()
        .addNewEnv().withName("DB_PASSWORD").withNewValueFrom().withNewSecretKeyRef("password", "orders-db", false)
            .endValueFrom().endEnv()
        .addNewEnvFrom().withNewConfigMapRef("orders-config", false).endEnvFrom()
        .addNewVolumeMount().withName("config").withMountPath("/config").withReadOnly(true).endVolumeMount()
        .withNewLivenessProbe().withNewHttpGet().withPath("/health").withPort(new IntOrString("http")).endHttpGet()
            .endLivenessProbe()
        .withNewReadinessProbe().withNewHttpGet().withPath("/ready").withPort(new IntOrString(8080)).endHttpGet()
            .endReadinessProbe()
        .withNewStartupProbe().withNewTcpSocket().withPort(new IntOrString("http")).endTcpSocket().endStartupProbe()
        .withNewLifecycle().withNewPreStop().withNewExec().withCommand("sleep", "5").endExec().endPreStop()
            .endLifecycle()
        .build();
  }

  /** The orders Deployment in {@code ns}: the app between a log shipper and an exporter, with a config volume. */
  static Deployment orders(String ns) {
    Deployment d = deployment(ns, "orders", APP, container("log-shipper"), app(),
        container("exporter", port("prom", 9100)));
    d.getMetadata().setLabels(Map.of("team", "payments"));
    d.getMetadata().setAnnotations(Map.of("deployment.kubernetes.io/revision", "3"));
    d.getSpec().getTemplate().getSpec().setVolumes(List.of(new VolumeBuilder().withName("config")
        .withNewConfigMap().withName("orders-files").endConfigMap().build()));
    return fromApi(d);
  }

  /** The intercept of the orders Service's port 80, targetPort "http", container "app" port 8080. */
  static InterceptTarget target(String ns) {
    return new InterceptTarget(ns, "orders", "Deployment", "orders", "app", 8080, "http", 80,
        new IntOrString("http"));
  }

  /** Creates {@link #orders} and its Service in {@code ns}. */
  static void createOrders(KubernetesClient client, String ns) {
    client.resource(orders(ns)).create();
    client.resource(service(ns, "orders", APP, servicePort("web", 80, new IntOrString("http")))).create();
  }

  /** {@code after} has {@code before}'s spec, labels and annotations, field for field. */
  static void assertSameSpecAndMetadataMaps(HasMetadata after, HasMetadata before, Object afterSpec,
      Object beforeSpec) {
    assertThat(afterSpec).isEqualTo(beforeSpec);
    assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());
    assertThat(after.getMetadata().getAnnotations()).isEqualTo(before.getMetadata().getAnnotations());
  }
}

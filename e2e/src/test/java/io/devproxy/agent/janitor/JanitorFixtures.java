package io.devproxy.agent.janitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.daemon.kube.AgentSpec;
import io.devproxy.daemon.kube.InterceptTarget;
import io.devproxy.daemon.kube.SessionLeases;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The objects the janitor tests inject the agent into with the daemon's own code, and the janitor's side: a
 * ServiceAccount directory and a config pointed at the mock API server.
 */
final class JanitorFixtures {

  static final Map<String, String> APP = Map.of("app", "orders");
  static final String IMAGE = "ghcr.io/devproxy/agent:1.0";

  private JanitorFixtures() {}

  /** The orders app as a chart writes it: env from literals, a Secret and a ConfigMap, mounts, probes by name. */
  static Container app() {
    return new ContainerBuilder().withName("app").withImage("registry.example.com/orders:1.0")
        .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
        .addNewPort().withName("metrics").withContainerPort(9102).withProtocol("TCP").endPort()
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
        .build();
  }

  private static Container sidecar(String name) {
    return new ContainerBuilder().withName(name).withImage("registry.example.com/" + name + ":1.0").build();
  }

  /** The orders Deployment: the app between a log shipper and an exporter, a config volume, labels, annotations. */
  static Deployment orders(String ns, String name) {
    return new DeploymentBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).withLabels(Map.of("team", "payments"))
            .withAnnotations(Map.of("owner", "payments@example.com")).endMetadata()
        .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(APP).endSelector()
            .withNewTemplate().withNewMetadata().withLabels(APP).endMetadata()
                .withNewSpec().withContainers(sidecar("log-shipper"), app(), sidecar("exporter"))
                    .addNewVolume().withName("config").withNewConfigMap().withName("orders-files").endConfigMap()
                    .endVolume()
                .endSpec()
            .endTemplate()
        .endSpec()
        .build();
  }

  /** A StatefulSet running the same app, with no labels or annotations of its own. */
  static StatefulSet ledger(String ns) {
    return new StatefulSetBuilder()
        .withNewMetadata().withNamespace(ns).withName("ledger").endMetadata()
        .withNewSpec().withReplicas(1).withServiceName("ledger").withNewSelector().withMatchLabels(APP).endSelector()
            .withNewTemplate().withNewMetadata().withLabels(APP).endMetadata()
                .withNewSpec().withContainers(app()).endSpec()
            .endTemplate()
        .endSpec()
        .build();
  }

  static Service service(String ns, String name, IntOrString targetPort) {
    return new ServiceBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).withLabels(Map.of("team", "payments")).endMetadata()
        .withNewSpec().withType("ClusterIP").withSelector(APP)
            .addNewPort().withName("web").withPort(80).withTargetPort(targetPort).withProtocol("TCP").endPort()
            .addNewPort().withName("metrics").withPort(9102).withTargetPort(new IntOrString("metrics"))
                .withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  /** The intercept of {@code service}'s port 80 served by container "app" port 8080 of {@code kind/workload}. */
  static InterceptTarget target(String ns, String service, String kind, String workload, IntOrString targetPort) {
    return new InterceptTarget(ns, service, kind, workload, "app", 8080, "http", 80, targetPort);
  }

  /** The agent as the daemon runs it for {@code agentWorkload}, whose TLS Secret it mounts. */
  static AgentSpec agent(String agentWorkload) {
    return AgentSpec.defaults(IMAGE, agentWorkload);
  }

  /** The TLS Secret the daemon makes before injecting (its content does not matter here). */
  static void tlsSecret(KubernetesClient client, String ns, String agentWorkload) {
    client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName(AgentSpec.tlsSecretName(agentWorkload))
            .addToLabels("app.kubernetes.io/managed-by", "devproxy").endMetadata()
        .addToStringData("server.crt", "-").build()).create();
  }

  /** A session Lease last renewed 10 minutes ago, written by the daemon's own code. */
  static String expiredLease(KubernetesClient client, String ns, String sessionId, String kind, String workload)
      throws Exception {
    Clock tenMinutesAgo = Clock.fixed(Instant.now().minus(Duration.ofMinutes(10)), ZoneOffset.UTC);
    return new SessionLeases(client, tenMinutesAgo).acquire(ns, sessionId, sessionId + "@laptop", kind, workload,
        "orders").getMetadata().getName();
  }

  /** A session Lease renewed just now. */
  static String liveLease(KubernetesClient client, String ns, String sessionId, String kind, String workload)
      throws Exception {
    return new SessionLeases(client, Clock.systemUTC()).acquire(ns, sessionId, sessionId + "@laptop", kind, workload,
        "orders").getMetadata().getName();
  }

  /**
   * A mounted ServiceAccount of {@code ns}: a token whose {@code sub} is {@code system:serviceaccount:NS:default}
   * and the namespace file.
   */
  static Path serviceAccount(Path dir, String ns) throws IOException {
    Files.createDirectories(dir);
    writeToken(dir, ns, "default");
    Files.writeString(dir.resolve("namespace"), ns + "\n");
    return dir;
  }

  static void writeToken(Path dir, String ns, String account) throws IOException {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String token = b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(("{\"sub\":\"system:serviceaccount:" + ns + ":" + account + "\"}")
            .getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    Files.writeString(dir.resolve("token"), token + "\n");
  }

  /**
   * The janitor config an agent derives from the env the daemon injected into {@code agentWorkload}'s pod
   * template (DEVPROXY_WORKLOAD, DEVPROXY_SHADOW_SERVICE), pointed at the mock API server.
   */
  static JanitorConfig configFromInjectedEnv(HasMetadata agentWorkload, Path serviceAccountDir,
      KubernetesMockServer server) {
    Container agent = podContainers(agentWorkload).stream().filter(c -> c.getName().equals("devproxy-agent"))
        .findFirst().orElseThrow();
    String workload = env(agent, "DEVPROXY_WORKLOAD");
    assertThat(workload).as("DEVPROXY_WORKLOAD of the injected agent").isNotNull();
    JanitorConfig inCluster = JanitorConfig.inCluster(workload, env(agent, "DEVPROXY_SHADOW_SERVICE"),
        Duration.ofMillis(100));
    return new JanitorConfig(inCluster.workloadKind(), inCluster.workloadName(), inCluster.shadowService(),
        inCluster.interval(), Duration.ofHours(1), serviceAccountDir, URI.create(server.url("/")));
  }

  static JanitorConfig config(String workload, String shadowService, Path serviceAccountDir,
      KubernetesMockServer server) {
    JanitorConfig inCluster = JanitorConfig.inCluster(workload, shadowService, Duration.ofMillis(100));
    return new JanitorConfig(inCluster.workloadKind(), inCluster.workloadName(), inCluster.shadowService(),
        inCluster.interval(), Duration.ofHours(1), serviceAccountDir, URI.create(server.url("/")));
  }

  static LeaseJanitor janitor(JanitorConfig config, AgentMetrics metrics) throws Exception {
    return LeaseJanitor.create(config, Map.of(), Clock.systemUTC(), metrics);
  }

  private static List<Container> podContainers(HasMetadata workload) {
    if (workload instanceof Deployment d) {
      return d.getSpec().getTemplate().getSpec().getContainers();
    }
    return ((StatefulSet) workload).getSpec().getTemplate().getSpec().getContainers();
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
  }

  /** {@code after} has {@code before}'s spec, labels and annotations, field for field. */
  static void assertSameSpecAndMetadataMaps(HasMetadata after, HasMetadata before, Object afterSpec,
      Object beforeSpec) {
    assertThat(afterSpec).isEqualTo(beforeSpec);
    assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());
    assertThat(after.getMetadata().getAnnotations()).isEqualTo(before.getMetadata().getAnnotations());
  }

  /** Records what one logger publishes at INFO and above while installed. */
  static final class LogRecorder extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<LogRecord> records = new ArrayList<>();

    LogRecorder(Class<?> type) {
      this.logger = Logger.getLogger(type.getName());
      setLevel(Level.INFO);
      logger.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
      if (isLoggable(record)) {
        records.add(record);
      }
    }

    synchronized List<String> messages() {
      return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
    }
  }
}

package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.daemon.DaemonConfig;
import io.devproxy.daemon.ambassador.CrdFiles;
import io.devproxy.daemon.kube.testing.MovingClock;
import io.devproxy.daemon.kube.testing.ReadyPods;
import io.devproxy.daemon.tunnel.Provisioner.Provisioned;
import io.devproxy.proto.daemon.ClusterBinding;
import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.UserPki;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cluster side of an intercept against the mock API server (CRUD), with {@link ReadyPods} standing in
 * for the controllers: what intercept leaves in the cluster, and that leave, a failure, Ctrl-C, an expired Lease
 * and uninstall each put it back exactly.
 */
@EnableKubernetesMockClient(crud = true)
class KubeProvisionerTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final String NS = "test"; // the namespace of the mock server's clients
  private static final Map<String, String> APP = Map.of("app", "orders");

  @TempDir Path dir;

  private final MovingClock clock = new MovingClock(Instant.now());
  private final List<KubeProvisioner> provisioners = new ArrayList<>();
  private final List<String> progress = new CopyOnWriteArrayList<>();
  private ReadyPods pods;
  private UserPki alice;
  private UserPki bob;

  @BeforeEach
  void setUp() throws Exception {
    alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desk");
    for (HasMetadata o : List.of(
        deployment(NS, "orders", APP, container("app", port("http", 8080))),
        service(NS, "orders", APP, servicePort("http", 80, new IntOrString("http"))),
        deployment(NS, "billing", Map.of("app", "billing"), container("app", port(null, 9090))),
        service(NS, "billing", Map.of("app", "billing"), servicePort(null, 80, new IntOrString(9090))))) {
      client.resource(o).create();
    }
    pods = new ReadyPods(client, NS);
  }

  @AfterEach
  void tearDown() {
    pods.close();
    provisioners.forEach(KubeProvisioner::close);
    client.apps().deployments().inNamespace(NS).delete();
    client.services().inNamespace(NS).delete();
    client.configMaps().inNamespace(NS).delete();
    client.secrets().inNamespace(NS).delete();
    client.leases().inNamespace(NS).delete();
    client.pods().inNamespace(NS).delete();
  }

  private KubeProvisioner provisioner(UserPki pki) {
    return provisioner(pki, "preview.example.com");
  }

  private KubeProvisioner provisioner(UserPki pki, String previewDomain) {
    return provisioner(pki, new DaemonConfig("registry.example.com/devproxy/agent:1", 8443, 9901,
        Duration.ofSeconds(30), Duration.ofSeconds(30), previewDomain));
  }

  private KubeProvisioner provisioner(UserPki pki, DaemonConfig config) {
    KubeProvisioner p = new KubeProvisioner(pki, config, options -> server.createClient(), clock);
    provisioners.add(p);
    return p;
  }

  private static InterceptRequest request(String name, String mode, String key) {
    return InterceptRequest.newBuilder().setName(name).setLocalPort(8080).setMode(mode).setKey(key)
        .setTimeoutSeconds(20).build();
  }

  private static Deployment orders() {
    return client.apps().deployments().inNamespace(NS).withName("orders").get();
  }

  /** The parts of an object a user wrote: spec, labels, annotations. */
  private static List<Object> userParts(HasMetadata o) {
    Object spec = o instanceof Deployment d ? d.getSpec() : ((io.fabric8.kubernetes.api.model.Service) o).getSpec();
    return List.of(String.valueOf(spec), String.valueOf(o.getMetadata().getLabels()),
        String.valueOf(o.getMetadata().getAnnotations()));
  }

  /** Every Deployment and Service as the user wrote it, by kind and name; how many Secrets and Leases. */
  private static Map<String, Object> snapshot() {
    Map<String, Object> all = new TreeMap<>();
    for (Deployment d : client.apps().deployments().inNamespace(NS).list().getItems()) {
      all.put("deployment/" + d.getMetadata().getName(), userParts(d));
    }
    for (io.fabric8.kubernetes.api.model.Service s : client.services().inNamespace(NS).list().getItems()) {
      all.put("service/" + s.getMetadata().getName(), userParts(s));
    }
    all.put("secrets", client.secrets().inNamespace(NS).list().getItems().size());
    all.put("leases", client.leases().inNamespace(NS).list().getItems().size());
    return all;
  }

  @Test
  void sidecarInterceptChangesTheClusterAndLeaveRestoresItExactly() throws Exception {
    Map<String, Object> before = snapshot();

    Provisioned p = provisioner(alice).provision(request("orders", "sidecar", "alice"), "a1b2c3d4-session", "alice@laptop",
        progress::add);

    Deployment patched = orders();
    assertThat(patched.getSpec().getTemplate().getSpec().getContainers()).extracting(c -> c.getName())
        .containsExactly("app", AgentContainer.NAME);
    assertThat(patched.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    assertThat(client.secrets().inNamespace(NS).withName(AgentSpec.tlsSecretName("orders")).get().getData())
        .containsOnlyKeys("server.crt", "server.key", "clients-ca.crt");
    assertThat(client.leases().inNamespace(NS).list().getItems()).singleElement()
        .satisfies(l -> assertThat(l.getSpec().getHolderIdentity()).isEqualTo("alice@laptop"))
        .satisfies(l -> assertThat(l.getMetadata().getAnnotations())
            .containsEntry(SessionLeases.WORKLOAD_ANNOTATION, "Deployment/orders"));
    ClusterBinding binding = p.binding();
    assertThat(binding.getNamespace()).isEqualTo(NS);
    assertThat(binding.getWorkloadName()).isEqualTo("orders");
    assertThat(binding.getMode()).isEqualTo("sidecar");
    assertThat(binding.getAgentTunnelPort()).isEqualTo(8443);
    InterceptInfo.Builder info = InterceptInfo.newBuilder();
    p.describe(info);
    assertThat(info.getWorkload()).isEqualTo("deployment/orders");
    assertThat(progress).anyMatch(l -> l.startsWith("service orders → deployment/orders, container app port 8080"))
        .anyMatch(l -> l.contains("injected the agent into deployment/orders"))
        .anyMatch(l -> l.contains("2/2 pods ready with the agent"));

    p.release();

    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void theConfiguredResourcesAndPullSecretsReachTheAgentAndLeaveTakesOnlyThoseAway() throws Exception {
    client.apps().deployments().inNamespace(NS).withName("orders").edit(d -> {
      d.getSpec().getTemplate().getSpec().setImagePullSecrets(List.of(new LocalObjectReference("regcred")));
      return d;
    });
    Map<String, Object> before = snapshot();
    DaemonConfig config = new DaemonConfig("registry.example.com/devproxy/agent:1", 8443, 9901,
        Duration.ofSeconds(30), Duration.ofSeconds(30), "", 0,
        new DaemonConfig.AgentPod("100m", "80Mi", null, "160Mi", List.of("regcred", "mirror")));

    Provisioned p = provisioner(alice, config).provision(request("orders", "sidecar", "alice"), "e5f6-session",
        "alice@laptop", progress::add);

    var pod = orders().getSpec().getTemplate().getSpec();
    assertThat(pod.getImagePullSecrets()).extracting(LocalObjectReference::getName)
        .containsExactly("regcred", "mirror");
    assertThat(pod.getContainers()).filteredOn(c -> c.getName().equals(AgentContainer.NAME)).singleElement()
        .satisfies(c -> {
          assertThat(c.getResources().getRequests()).containsOnly(Map.entry("cpu", new Quantity("100m")),
              Map.entry("memory", new Quantity("80Mi")));
          assertThat(c.getResources().getLimits()).containsOnly(Map.entry("memory", new Quantity("160Mi")));
        });

    p.release();

    assertThat(snapshot()).isEqualTo(before);
    assertThat(orders().getSpec().getTemplate().getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName).containsExactly("regcred");
  }

  @Test
  void theEnvironmentIsTheAppContainersAsTheUserWroteItEvenWhenSwapped() throws Exception {
    client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("orders-config")
        .endMetadata().addToData("db", "db.shop").build()).create();
    Deployment orders = orders();
    orders.getSpec().getTemplate().getSpec().getContainers().get(0).setEnv(List.of(
        new EnvVarBuilder().withName("GREETING").withValue("hello").build(),
        new EnvVarBuilder().withName("DB_HOST").withNewValueFrom().withNewConfigMapKeyRef("db", "orders-config", false)
            .endValueFrom().build(),
        new EnvVarBuilder().withName("DB_URL").withValue("postgres://$(DB_HOST)/orders").build()));
    client.resource(orders).update();

    Provisioned p = provisioner(alice).provision(request("orders", "swap", "alice"), "e0e0e0e0-s", "alice@laptop",
        progress::add);
    GetEnvReply env = p.env();
    p.release();

    assertThat(env.getVariablesList()).extracting(v -> v.getName() + "=" + v.getValue())
        .containsExactly("GREETING=hello", "DB_HOST=db.shop", "DB_URL=postgres://db.shop/orders");
    assertThat(env.getSource()).startsWith("deployment/orders container app");
    assertThat(env.getWarningsList()).isEmpty();
  }

  @Test
  void twoDevelopersShareTheSidecarAndTheLastOneRestores() throws Exception {
    Map<String, Object> before = snapshot();
    Provisioned a = provisioner(alice).provision(request("orders", "sidecar", "alice"), "aaaa1111-s", "alice@laptop",
        progress::add);
    Provisioned b = provisioner(bob).provision(request("orders", "sidecar", "bob"), "bbbb2222-s", "bob@desk",
        progress::add);
    assertThat(progress).anyMatch(l -> l.contains("the agent is already in deployment/orders; reusing it"));

    a.release();

    assertThat(orders().getSpec().getTemplate().getSpec().getContainers()).extracting(c -> c.getName())
        .contains(AgentContainer.NAME);
    assertThat(client.leases().inNamespace(NS).list().getItems()).singleElement()
        .satisfies(l -> assertThat(l.getSpec().getHolderIdentity()).isEqualTo("bob@desk"));
    assertThat(client.secrets().inNamespace(NS).withName(AgentSpec.tlsSecretName("orders")).get()).isNotNull();

    b.release();

    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void swapAndShadowAreRestoredToo() throws Exception {
    Map<String, Object> before = snapshot();

    Provisioned swap = provisioner(alice).provision(request("billing", "swap", "alice"), "cccc3333-s", "alice@laptop",
        progress::add);
    Provisioned shadow = provisioner(bob).provision(request("orders", "shadow", "bob"), "dddd4444-s", "bob@desk",
        progress::add);

    assertThat(client.apps().deployments().inNamespace(NS).withName("billing").get().getSpec().getTemplate().getSpec()
        .getContainers()).extracting(c -> c.getName()).containsExactly(AgentContainer.NAME);
    assertThat(shadow.binding().getWorkloadName()).isEqualTo("orders-devproxy-bob");
    assertThat(shadow.binding().getShadowService()).isEqualTo("orders-devproxy-bob");
    assertThat(client.apps().deployments().inNamespace(NS).withName("orders-devproxy-bob").get()).isNotNull();
    assertThat(userParts(orders())).isEqualTo(userParts(deployment(NS, "orders", APP,
        container("app", port("http", 8080)))));

    swap.release();
    shadow.release();

    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void anAgentImageThatCannotBePulledFailsTheInterceptAndUndoesIt() {
    Map<String, Object> before = snapshot();
    pods.failImages(image -> image.startsWith("registry.example.com/nope"));

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> provisioner(alice).provision(
        request("orders", "sidecar", "alice").toBuilder().setAgentImage("registry.example.com/nope:1").build(),
        "eeee5555-s", "alice@laptop", progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).contains("registry.example.com/nope:1").contains("cannot be pulled")
        .contains("--agent-image");
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void interruptingTheRolloutWaitUndoesTheIntercept() throws Exception {
    Map<String, Object> before = snapshot();
    pods.pause(true);
    AtomicReference<Thread> worker = new AtomicReference<>();
    CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
      worker.set(Thread.currentThread());
      try {
        provisioner(alice).provision(request("orders", "sidecar", "alice"), "ffff6666-s", "alice@laptop",
            progress::add);
        return null;
      } catch (Exception e) {
        return e;
      }
    });
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (progress.stream().noneMatch(l -> l.contains("waiting for the rollout")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }

    worker.get().interrupt();

    assertThat(failure.get()).isInstanceOf(InterruptedException.class);
    pods.pause(false);
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void aForbiddenLeaseChangesNothingAndNamesTheVerb() {
    Map<String, Object> before = snapshot();
    server.expect().post().withPath("/apis/coordination.k8s.io/v1/namespaces/" + NS + "/leases")
        .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("forbidden").build())
        .once();

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> provisioner(alice).provision(
        request("orders", "sidecar", "alice"), "abab7777-s", "alice@laptop", progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).startsWith("forbidden: create leases.coordination.k8s.io in namespace " + NS);
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void anExpiredLeaseIsCleanedUpByTheNextDaemonThatWorksInTheNamespace() throws Exception {
    Map<String, Object> before = snapshot();
    KubeProvisioner vanished = provisioner(alice);
    vanished.provision(request("orders", "sidecar", "alice"), "acac8888-s", "alice@laptop", progress::add);
    vanished.close(); // the laptop is gone: nobody renews the Lease, nobody leaves

    clock.advance(Duration.ofMinutes(2));
    Provisioned b = provisioner(bob).provision(request("billing", "sidecar", "bob"), "bdbd9999-s", "bob@desk",
        progress::add);
    b.release();

    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void uninstallAllRemovesEveryTrace() throws Exception {
    Map<String, Object> before = snapshot();
    provisioner(alice).provision(request("orders", "sidecar", "alice"), "adad1212-s", "alice@laptop", progress::add);
    provisioner(bob).provision(request("billing", "swap", "bob"), "bebe3434-s", "bob@desk", progress::add);
    provisioner(bob).provision(request("orders", "shadow", "bob"), "bfbf5656-s", "bob@desk", progress::add);

    UninstallReply one = provisioner(alice).uninstall(UninstallRequest.newBuilder().setName("billing").build());
    UninstallReply all = provisioner(alice).uninstall(UninstallRequest.newBuilder().setAll(true).build());

    assertThat(one.getChangesList()).contains("restored deployment/billing");
    assertThat(all.getChangesList()).contains("restored deployment/orders", "deleted deployment/orders-devproxy-bob",
        "deleted service/orders-devproxy-bob");
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void shadowModeClonesTheMappingsToTheShadowServiceAndLeaveDeletesThem() throws Exception {
    CrdFiles.applyMappingCrd(client);
    try {
      client.resource(new GenericKubernetesResourceBuilder().withApiVersion("getambassador.io/v3alpha1")
          .withKind("Mapping").withNewMetadata().withName("orders-api").withNamespace(NS).endMetadata()
          .addToAdditionalProperties("spec", Map.of("hostname", "shop.example.com", "prefix", "/orders/",
              "service", "orders:80"))
          .build()).create();
      Map<String, Object> before = snapshot();

      Provisioned p = provisioner(bob).provision(request("orders", "shadow", "bob"), "cafe0001-s", "bob@desk",
          progress::add);

      List<GenericKubernetesResource> mappings = mappings();
      assertThat(mappings).hasSize(2);
      GenericKubernetesResource clone = mappings.stream()
          .filter(m -> !m.getMetadata().getName().equals("orders-api")).findFirst().orElseThrow();
      @SuppressWarnings("unchecked")
      Map<String, Object> spec = (Map<String, Object>) clone.getAdditionalProperties().get("spec");
      assertThat(spec).containsEntry("service", "orders-devproxy-bob:80").containsEntry("precedence", 1)
          .containsEntry("headers", Map.of("x-devproxy-session", "bob"));
      assertThat(clone.getMetadata().getLabels()).containsEntry("devproxy.io/session", "cafe0001-s");
      assertThat(p.binding().getMappingClonesList()).containsExactly(clone.getMetadata().getName());
      assertThat(progress).anyMatch(l -> l.startsWith("Ambassador header routes: orders-api-devproxy-bob-"));

      p.release();

      assertThat(mappings()).extracting(m -> m.getMetadata().getName()).containsExactly("orders-api");
      assertThat(snapshot()).isEqualTo(before);
    } finally {
      client.genericKubernetesResources("getambassador.io/v3alpha1", "Mapping").inNamespace(NS).delete();
      client.apiextensions().v1().customResourceDefinitions().withName("mappings.getambassador.io").delete();
    }
  }

  @Test
  void ambassadorWithoutMappingCrdsSaysSoAndTheInterceptWorks() throws Exception {
    Provisioned p = provisioner(alice).provision(request("orders", "sidecar", "alice").toBuilder().setAmbassador(true)
        .build(), "beef0002-s", "alice@laptop", progress::add);

    assertThat(progress).contains("no Ambassador Mapping CRDs in the cluster: no edge routes (the intercept works"
        + " without them)");
    assertThat(p.binding().getMappingClonesList()).isEmpty();
    p.release();
  }

  @Test
  void previewsGetMappingsAndHostsWhichLeaveDeletes() throws Exception {
    CrdFiles.applyMappingCrd(client);
    CrdFiles.applyHostCrd(client);
    try {
      client.resource(new GenericKubernetesResourceBuilder().withApiVersion("getambassador.io/v3alpha1")
          .withKind("Mapping").withNewMetadata().withName("orders-api").withNamespace(NS).endMetadata()
          .addToAdditionalProperties("spec", Map.of("hostname", "shop.example.com", "prefix", "/orders/",
              "service", "orders:80", "ambassador_id", List.of("edge")))
          .build()).create();
      client.resource(new GenericKubernetesResourceBuilder().withApiVersion("getambassador.io/v3alpha1")
          .withKind("Host").withNewMetadata().withName("shop").withNamespace(NS).endMetadata()
          .addToAdditionalProperties("spec", Map.of("hostname", "shop.example.com",
              "tlsSecret", Map.of("name", "shop-cert")))
          .build()).create();
      Map<String, Object> before = snapshot();

      Provisioned p = provisioner(alice).provision(request("orders", "sidecar", "alice").toBuilder().setPreview(true)
          .build(), "feed0003-s", "alice@laptop", progress::add);

      assertThat(progress).contains("preview URL: http://alice-orders.preview.example.com/");
      Preview first = p.binding().getPreviews(0);
      assertThat(first.getHost()).isEqualTo("alice-orders.preview.example.com");
      GenericKubernetesResource preview = named(mappings(), first.getMappings(0));
      assertThat(spec(preview)).containsEntry("hostname", "alice-orders.preview.example.com")
          .containsEntry("service", "orders:80").containsEntry("prefix", "/orders/")
          .containsEntry("add_request_headers", Map.of(
              "x-devproxy-session", Map.of("value", "alice", "append", false),
              "baggage", Map.of("value", "devproxy-session=alice", "append", true)));
      // the namespace has Hosts and none serves the preview host: a cleartext one, for Ambassador's edge
      GenericKubernetesResource host = named(hosts(), first.getHostResource());
      assertThat(spec(host)).containsEntry("hostname", "alice-orders.preview.example.com")
          .containsEntry("ambassador_id", List.of("edge"))
          .containsEntry("requestPolicy", Map.of("insecure", Map.of("action", "Route")));
      assertThat(host.getMetadata().getLabels()).containsEntry("devproxy.io/session", "feed0003-s");

      Preview qa = p.createPreview(CreatePreviewRequest.newBuilder().setName("orders").setHost("QA.example.com")
          .setTlsSecret("qa-cert").build());
      assertThat(qa.getUrl()).isEqualTo("https://qa.example.com/");
      assertThat(spec(named(hosts(), qa.getHostResource()))).containsEntry("tlsSecret", Map.of("name", "qa-cert"));
      assertThat(p.createPreview(CreatePreviewRequest.newBuilder().setHost("qa.example.com").build())).isEqualTo(qa);
      InterceptInfo.Builder info = InterceptInfo.newBuilder();
      p.describe(info);
      assertThat(info.getPreviewsList()).extracting(Preview::getHost)
          .containsExactly("alice-orders.preview.example.com", "qa.example.com");

      assertThat(p.deletePreviews("qa.example.com")).containsExactly("qa.example.com");
      assertThat(hosts()).extracting(h -> h.getMetadata().getName())
          .containsExactlyInAnyOrder("shop", first.getHostResource());
      DevproxyException none = catchThrowableOfType(DevproxyException.class, () -> p.deletePreviews("qa.example.com"));
      assertThat(none).hasMessage("intercept 'orders' has no preview for qa.example.com; 'devproxy preview list'"
          + " shows them");

      p.release();

      assertThat(mappings()).extracting(m -> m.getMetadata().getName()).containsExactly("orders-api");
      assertThat(hosts()).extracting(h -> h.getMetadata().getName()).containsExactly("shop");
      assertThat(snapshot()).isEqualTo(before);
    } finally {
      client.genericKubernetesResources("getambassador.io/v3alpha1", "Mapping").inNamespace(NS).delete();
      client.genericKubernetesResources("getambassador.io/v3alpha1", "Host").inNamespace(NS).delete();
      client.apiextensions().v1().customResourceDefinitions().withName("mappings.getambassador.io").delete();
      client.apiextensions().v1().customResourceDefinitions().withName("hosts.getambassador.io").delete();
    }
  }

  @Test
  void aPreviewOfAServiceWithoutMappingsRoutesEverythingAndAnExpiredLeaseTakesItAway() throws Exception {
    CrdFiles.applyMappingCrd(client);
    try {
      Map<String, Object> before = snapshot();
      KubeProvisioner vanished = provisioner(alice);
      Provisioned p = vanished.provision(request("orders", "sidecar", "alice").toBuilder()
          .setPreviewHost("orders-alice.dev.example.com").build(), "abab0004-s", "alice@laptop", progress::add);
      assertThat(p.binding().getPreviews(0).getHostResource()).isEmpty(); // no Host CRD
      assertThat(spec(named(mappings(), p.binding().getPreviews(0).getMappings(0))))
          .containsEntry("hostname", "orders-alice.dev.example.com").containsEntry("prefix", "/")
          .containsEntry("service", "orders:80");
      vanished.close();

      clock.advance(Duration.ofMinutes(2));
      provisioner(bob).provision(request("billing", "sidecar", "bob"), "bcbc0005-s", "bob@desk", progress::add)
          .release();

      assertThat(mappings()).isEmpty();
      assertThat(snapshot()).isEqualTo(before);
    } finally {
      client.genericKubernetesResources("getambassador.io/v3alpha1", "Mapping").inNamespace(NS).delete();
      client.apiextensions().v1().customResourceDefinitions().withName("mappings.getambassador.io").delete();
    }
  }

  @Test
  void aPreviewWithoutADomainOrWithABadHostChangesNothing() throws Exception {
    Map<String, Object> before = snapshot();

    DevproxyException noDomain = catchThrowableOfType(DevproxyException.class, () -> provisioner(alice, "")
        .provision(request("orders", "sidecar", "alice").toBuilder().setPreview(true).build(), "acdc0006-s",
            "alice@laptop", progress::add));
    DevproxyException badHost = catchThrowableOfType(DevproxyException.class, () -> provisioner(alice)
        .provision(request("orders", "sidecar", "alice").toBuilder().setPreviewHost("http://x").build(),
            "acdc0007-s", "alice@laptop", progress::add));

    assertThat(noDomain.category()).isEqualTo(ErrorCategory.USER);
    assertThat(noDomain).hasMessage("no preview domain: pass --host HOST or --domain DOMAIN, or set previewDomain in"
        + " $DEVPROXY_HOME/config.properties");
    assertThat(badHost).hasMessageStartingWith("--host: 'http://x' is not a host name");
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void aPreviewWithoutAmbassadorIsRefusedBeforeAnythingChanges() throws Exception {
    Map<String, Object> before = snapshot();

    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> provisioner(alice)
        .provision(request("orders", "sidecar", "alice").toBuilder().setPreview(true).build(), "acdc0008-s",
            "alice@laptop", progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e).hasMessageStartingWith("the cluster serves no Ambassador Mapping CRD");
    assertThat(progress).isEmpty(); // refused before the agent went in
    assertThat(snapshot()).isEqualTo(before);
  }

  private static GenericKubernetesResource named(List<GenericKubernetesResource> objects, String name) {
    return objects.stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + objects));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource object) {
    return (Map<String, Object>) object.getAdditionalProperties().get("spec");
  }

  private static List<GenericKubernetesResource> hosts() {
    return client.genericKubernetesResources("getambassador.io/v3alpha1", "Host").inNamespace(NS).list().getItems();
  }

  private static List<GenericKubernetesResource> mappings() {
    return client.genericKubernetesResources("getambassador.io/v3alpha1", "Mapping").inNamespace(NS).list()
        .getItems();
  }
}

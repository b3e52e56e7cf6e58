package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link EnvResolver} against the mock API server; each test has its own namespace. */
@EnableKubernetesMockClient(crud = true)
class EnvResolverTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final Map<String, String> LABELS = Map.of("app", "orders", "tier", "backend");
  private static final Map<String, String> ANNOTATIONS = Map.of("team", "checkout");

  @Test
  void envFromTakesEveryKeyOfItsConfigMapsAndSecretsWithTheirPrefixes() throws Exception {
    createConfigMap("from", "orders-config", "DB_HOST", "postgres.shop.svc", "DB_PORT", "5432");
    createSecret("from", "db-creds", "username", "orders", "password", "s3cr3t");

    ResolvedEnv env = resolve("from", app(List.of(fromConfigMap("orders-config", null, null),
        fromSecret("db-creds", "DB_", null))));

    assertThat(env.variables()).containsExactly(entry("DB_HOST", "postgres.shop.svc"), entry("DB_PORT", "5432"),
        entry("DB_password", "s3cr3t"), entry("DB_username", "orders"));
    assertThat(env.warnings()).isEmpty();
  }

  @Test
  void aLaterEnvFromOverridesAnEarlierOneAndEnvOverridesBoth() throws Exception {
    createConfigMap("precedence", "defaults", "LOG_LEVEL", "info", "REGION", "eu-west-1", "TIMEOUT", "30s");
    createConfigMap("precedence", "overrides", "LOG_LEVEL", "debug", "REGION", "us-east-1");

    ResolvedEnv env = resolve("precedence", app(List.of(fromConfigMap("defaults", null, null),
        fromConfigMap("overrides", null, null)), literal("REGION", "ap-south-1")));

    assertThat(env.variables()).containsExactly(entry("LOG_LEVEL", "debug"), entry("REGION", "ap-south-1"),
        entry("TIMEOUT", "30s"));
  }

  @Test
  void literalValuesExpandOnlyTheVariablesDefinedBeforeThem() throws Exception {
    createConfigMap("expand", "orders-config", "DB_HOST", "postgres.shop.svc");

    ResolvedEnv env = resolve("expand", app(List.of(fromConfigMap("orders-config", null, null)),
        literal("DB_PORT", "5432"),
        literal("DB_URL", "jdbc:postgresql://$(DB_HOST):$(DB_PORT)/$(DB_NAME)"),
        literal("DB_NAME", "orders"),
        literal("PRICE_NOTE", "$$(PRICE) stays, $$5 is five dollars"),
        literal("PROXY", "$(HTTP_PROXY)")));

    assertThat(env.variables()).containsEntry("DB_URL", "jdbc:postgresql://postgres.shop.svc:5432/$(DB_NAME)")
        .containsEntry("PRICE_NOTE", "$(PRICE) stays, $5 is five dollars")
        .containsEntry("PROXY", "$(HTTP_PROXY)");
  }

  @Test
  void valuesFromConfigMapsAreNotExpanded() throws Exception {
    createConfigMap("verbatim", "greetings", "GREETING", "hello $(USER)");

    ResolvedEnv env = resolve("verbatim", app(List.of(fromConfigMap("greetings", null, null)),
        literal("USER", "dev"), configMapKey("WELCOME", "greetings", "GREETING", null)));

    assertThat(env.variables()).containsExactly(entry("GREETING", "hello $(USER)"), entry("USER", "dev"),
        entry("WELCOME", "hello $(USER)"));
  }

  @Test
  void keyReferencesResolveAndSecretValuesAreDecoded() throws Exception {
    createConfigMap("keys", "orders-config", "log-level", "warn");
    createSecret("keys", "db-creds", "username", "orders", "password", "pässwörd");

    ResolvedEnv env = resolve("keys", app(List.of(), configMapKey("LOG_LEVEL", "orders-config", "log-level", null),
        secretKey("DB_USER", "db-creds", "username", null), secretKey("DB_PASSWORD", "db-creds", "password", false)));

    assertThat(env.variables()).containsExactly(entry("LOG_LEVEL", "warn"), entry("DB_USER", "orders"),
        entry("DB_PASSWORD", "pässwörd"));
    assertThat(env.warnings()).isEmpty();
  }

  @Test
  void missingOptionalReferencesAreSkippedSilently() throws Exception {
    createConfigMap("optional", "orders-config", "LOG_LEVEL", "info");
    createSecret("optional", "db-creds", "username", "orders");

    ResolvedEnv env = resolve("optional", app(List.of(fromConfigMap("orders-config", null, null),
            fromSecret("feature-flags", null, true)),
        configMapKey("LOG_LEVEL", "log-overrides", "level", true),
        secretKey("DB_PASSWORD", "db-creds", "password", true),
        configMapKey("CACHE_TTL", "cache-config", "ttl", true)));

    assertThat(env.variables()).as("an optional override that is missing keeps envFrom's value")
        .containsExactly(entry("LOG_LEVEL", "info"));
    assertThat(env.warnings()).isEmpty();
  }

  @Test
  void missingRequiredReferencesAreLeftOutWithAWarningNamingTheVariable() throws Exception {
    createConfigMap("required", "defaults", "DB_PASSWORD", "changeme");
    createSecret("required", "db-creds", "username", "orders");

    ResolvedEnv env = resolve("required", app(List.of(fromConfigMap("defaults", null, null),
            fromConfigMap("orders-config", null, false)),
        secretKey("DB_PASSWORD", "db-creds", "password", null),
        secretKey("API_KEY", "payment-api", "key", false),
        literal("LOG_LEVEL", "info")));

    assertThat(env.variables()).as("the default envFrom gave is not what the pod would get")
        .containsExactly(entry("LOG_LEVEL", "info"));
    assertThat(env.warnings()).containsExactly(
        "left out every variable from envFrom configmap orders-config: configmap orders-config not found in"
            + " namespace required",
        "left out DB_PASSWORD: secret db-creds has no key password",
        "left out API_KEY: secret payment-api not found in namespace required");
  }

  @Test
  void forbiddenObjectsAreLeftOutWithOneWarningEachAndTheRestResolves() throws Exception {
    createConfigMap("forbidden", "orders-config", "DB_HOST", "postgres.shop.svc");
    forbid("/api/v1/namespaces/forbidden/secrets/db-creds", "secrets \"db-creds\" is forbidden");
    forbid("/api/v1/namespaces/forbidden/configmaps/flags", "configmaps \"flags\" is forbidden");

    ResolvedEnv env = resolve("forbidden", app(List.of(fromSecret("db-creds", "DB_", null),
            fromConfigMap("flags", null, true)),
        configMapKey("DB_HOST", "orders-config", "DB_HOST", null),
        secretKey("DB_PASSWORD", "db-creds", "password", null),
        secretKey("DB_USER", "db-creds", "username", true),
        literal("DB_URL", "postgresql://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST)/orders")));

    assertThat(env.variables()).containsExactly(entry("DB_HOST", "postgres.shop.svc"),
        entry("DB_URL", "postgresql://$(DB_USER):$(DB_PASSWORD)@postgres.shop.svc/orders"));
    assertThat(env.warnings()).containsExactly(
        "left out every variable from envFrom secret db-creds (prefix DB_), DB_PASSWORD, DB_USER: forbidden to get"
            + " secret db-creds in namespace forbidden (ask for 'get secrets' in the devproxy developer Role)",
        "left out every variable from envFrom configmap flags: forbidden to get configmap flags in namespace"
            + " forbidden (ask for 'get configmaps' in the devproxy developer Role)");
  }

  @Test
  void eachConfigMapAndSecretIsReadOnce() throws Exception {
    // Served once each and not stored: a second read would find nothing.
    server.expect().get().withPath("/api/v1/namespaces/once/configmaps/orders-config")
        .andReturn(200, configMap("once", "orders-config", "DB_HOST", "postgres.shop.svc")).once();
    server.expect().get().withPath("/api/v1/namespaces/once/secrets/db-creds")
        .andReturn(200, secret("once", "db-creds", "username", "orders", "password", "s3cr3t")).once();

    ResolvedEnv env = resolve("once", app(List.of(fromConfigMap("orders-config", "ORDERS_", null),
            fromSecret("db-creds", "DB_", null)),
        configMapKey("DB_HOST", "orders-config", "DB_HOST", null),
        secretKey("DB_USER", "db-creds", "username", null),
        secretKey("DB_PASSWORD", "db-creds", "password", null)));

    assertThat(env.variables()).containsExactly(entry("ORDERS_DB_HOST", "postgres.shop.svc"),
        entry("DB_password", "s3cr3t"), entry("DB_username", "orders"), entry("DB_HOST", "postgres.shop.svc"),
        entry("DB_USER", "orders"), entry("DB_PASSWORD", "s3cr3t"));
    assertThat(env.warnings()).isEmpty();
  }

  @Test
  void envFromKeysThatAreNotEnvironmentVariableNamesAreSkippedWithAWarning() throws Exception {
    createConfigMap("names", "legacy-config", "1ST_RUN", "true", "2FA", "off", "log.level", "debug", "MODE", "batch");

    ResolvedEnv env = resolve("names", app(List.of(fromConfigMap("legacy-config", null, null),
        fromConfigMap("legacy-config", "LEGACY_", null))));

    assertThat(env.variables()).containsExactly(entry("MODE", "batch"), entry("log.level", "debug"),
        entry("LEGACY_1ST_RUN", "true"), entry("LEGACY_2FA", "off"), entry("LEGACY_MODE", "batch"),
        entry("LEGACY_log.level", "debug"));
    assertThat(env.warnings()).containsExactly(
        "skipped 1ST_RUN, 2FA from envFrom configmap legacy-config: not valid environment variable names");
  }

  @Test
  void environmentVariableNamesFollowTheKubelet() {
    assertThat(List.of("DB_HOST", "log.level", "my-name", "_x", ".hidden", "a..b"))
        .allMatch(EnvResolver::isEnvVarName);
    assertThat(List.of("1ST", ".", "..", "..data", "A B", "A=B", "", "Ä")).noneMatch(EnvResolver::isEnvVarName);
  }

  @Test
  void fieldRefsResolveFromTheRunningPod() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withNamespace("pod").withName("orders-7d4b9c-x2x5p")
        .withUid("5b0c8a4e-1f3d-4c2a-9e7b-0d6f1a2b3c4d")
        .withLabels(Map.of("app", "orders", "pod-template-hash", "7d4b9c"))
        .withAnnotations(Map.of("team", "payments")).endMetadata()
        .withNewSpec().withNodeName("worker-2").withServiceAccountName("orders-runtime").endSpec()
        .withNewStatus().withPodIP("10.244.1.17").withPodIPs(new PodIP("10.244.1.17"), new PodIP("fd00:10:244::17"))
        .withHostIP("172.18.0.3").withHostIPs(new HostIP("172.18.0.3"), new HostIP("fc00:f853::3")).endStatus()
        .build();

    ResolvedEnv env = new EnvResolver(client).resolve("pod", spec(app(List.of(), fieldRefs()), null), LABELS,
        ANNOTATIONS, "app", pod);

    assertThat(env.variables()).containsExactly(entry("POD_NAME", "orders-7d4b9c-x2x5p"),
        entry("POD_NAMESPACE", "pod"), entry("POD_UID", "5b0c8a4e-1f3d-4c2a-9e7b-0d6f1a2b3c4d"),
        entry("POD_HASH", "7d4b9c"), entry("TIER", ""), entry("TEAM", "payments"), entry("NODE_NAME", "worker-2"),
        entry("SERVICE_ACCOUNT", "orders-runtime"), entry("POD_IP", "10.244.1.17"),
        entry("POD_IPS", "10.244.1.17,fd00:10:244::17"), entry("HOST_IP", "172.18.0.3"),
        entry("HOST_IPS", "172.18.0.3,fc00:f853::3"));
    assertThat(env.warnings()).isEmpty();
  }

  @Test
  void withoutAPodFieldRefsResolveFromTheTemplateOrAreLeftOut() throws Exception {
    ResolvedEnv env = new EnvResolver(client).resolve("template", spec(app(List.of(), fieldRefs()), "orders"),
        Map.of("app", "orders", "tier", "backend"), ANNOTATIONS, "app", null);

    assertThat(env.variables()).containsExactly(entry("POD_NAMESPACE", "template"), entry("POD_HASH", ""),
        entry("TIER", "backend"), entry("TEAM", "checkout"), entry("SERVICE_ACCOUNT", "orders"));
    assertThat(env.warnings()).containsExactly(
        "left out POD_NAME: metadata.name is a running pod's, and no pod of the workload runs",
        "left out POD_UID: metadata.uid is a running pod's, and no pod of the workload runs",
        "left out NODE_NAME: spec.nodeName is a running pod's, and no pod of the workload runs",
        "left out POD_IP: status.podIP is a running pod's, and no pod of the workload runs",
        "left out POD_IPS: status.podIPs is a running pod's, and no pod of the workload runs",
        "left out HOST_IP: status.hostIP is a running pod's, and no pod of the workload runs",
        "left out HOST_IPS: status.hostIPs is a running pod's, and no pod of the workload runs");
    ResolvedEnv defaulted = new EnvResolver(client).resolve("template",
        spec(app(List.of(), field("SERVICE_ACCOUNT", "spec.serviceAccountName")), null), null, null, "app", null);
    assertThat(defaulted.variables()).containsExactly(entry("SERVICE_ACCOUNT", "default"));
  }

  @Test
  void resourceFieldRefsAreDividedByTheDivisorAndRoundedUp() throws Exception {
    Container app = new ContainerBuilder(app(List.of(),
        resource("CPU_LIMIT", "limits.cpu", null, null),
        resource("CPU_LIMIT_MILLIS", "limits.cpu", null, "1m"),
        resource("CPU_REQUEST_MILLIS", "requests.cpu", null, "1m"),
        resource("MEMORY_LIMIT_MIB", "limits.memory", null, "1Mi"),
        resource("MEMORY_REQUEST", "requests.memory", null, null),
        resource("STORAGE_LIMIT_GB", "limits.ephemeral-storage", null, "1G"),
        resource("SHIPPER_MEMORY_MIB", "limits.memory", "log-shipper", "1Mi")))
        .withNewResources().withLimits(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("512Mi"),
            "ephemeral-storage", new Quantity("1500M"))).withRequests(Map.of("cpu", new Quantity("250m")))
        .endResources().build();
    Container shipper = new ContainerBuilder().withName("log-shipper").withImage("fluent/fluent-bit:3.0")
        .withNewResources().withLimits(Map.of("memory", new Quantity("64Mi"))).endResources().build();

    ResolvedEnv env = new EnvResolver(client).resolve("resources", new PodSpecBuilder()
        .withContainers(app, shipper).build(), LABELS, ANNOTATIONS, "app", null);

    assertThat(env.variables()).containsExactly(entry("CPU_LIMIT", "1"), entry("CPU_LIMIT_MILLIS", "500"),
        entry("CPU_REQUEST_MILLIS", "250"), entry("MEMORY_LIMIT_MIB", "512"), entry("MEMORY_REQUEST", "536870912"),
        entry("STORAGE_LIMIT_GB", "2"), entry("SHIPPER_MEMORY_MIB", "64"));
    assertThat(env.warnings()).isEmpty();
  }

  @Test
  void anUnsetLimitIsLeftOutUnlessTheRunningPodHasOne() throws Exception {
    Container app = app(List.of(), resource("GOMAXPROCS", "limits.cpu", null, null),
        resource("MEMORY_REQUEST", "requests.memory", null, null));
    // What a LimitRange with a default cpu limit of 2 puts into the pod.
    Pod pod = new PodBuilder().withNewMetadata().withNamespace("limits").withName("orders-7d4b9c-x2x5p").endMetadata()
        .withNewSpec().withContainers(new ContainerBuilder(app).withNewResources()
            .withLimits(Map.of("cpu", new Quantity("2"))).endResources().build()).endSpec().build();

    ResolvedEnv withoutPod = new EnvResolver(client).resolve("limits", spec(app, null), LABELS, ANNOTATIONS, "app",
        null);
    ResolvedEnv withPod = new EnvResolver(client).resolve("limits", spec(app, null), LABELS, ANNOTATIONS, "app", pod);

    assertThat(withoutPod.variables()).containsExactly(entry("MEMORY_REQUEST", "0"));
    assertThat(withoutPod.warnings()).containsExactly("left out GOMAXPROCS: container app sets no limits.cpu, so the"
        + " kubelet gives the node's allocatable cpu, which devproxy cannot know");
    assertThat(withPod.variables()).containsExactly(entry("GOMAXPROCS", "2"), entry("MEMORY_REQUEST", "0"));
  }

  @Test
  void valuesALocalProcessCannotGetAreLeftOut() throws Exception {
    createSecret("unreadable", "keystore", "jks", "\u00fe\u00ed\u0000\u0002");
    EnvVar fromFile = new EnvVarBuilder().withName("CONFIG_VERSION").withNewValueFrom().withNewFileKeyRef()
        .withVolumeName("config").withPath("app.env").withKey("VERSION").endFileKeyRef().endValueFrom().build();

    ResolvedEnv env = resolve("unreadable", app(List.of(), fromFile, secretKey("KEYSTORE", "keystore", "jks", null),
        literal("APP", "orders")));

    assertThat(env.variables()).containsExactly(entry("APP", "orders"));
    assertThat(env.warnings()).containsExactly(
        "left out CONFIG_VERSION: fileKeyRef reads app.env in volume config inside the pod, which devproxy cannot"
            + " read",
        "left out KEYSTORE: its value holds a NUL byte, which no environment variable can");
  }

  @Test
  void otherApiFailuresAreClusterErrors() {
    // Unlike a 403, an expired token is no missing permission: every other call fails as well.
    server.expect().get().withPath("/api/v1/namespaces/broken/secrets/db-creds")
        .andReturn(401, new StatusBuilder().withStatus("Failure").withCode(401).withReason("Unauthorized")
            .withMessage("Unauthorized: token expired").build())
        .once();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> resolve("broken", app(List.of(), secretKey("DB_PASSWORD", "db-creds", "password", null))));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).startsWith("cannot get secrets in namespace broken: ")
        .contains("token expired");
  }

  @Test
  void anUnknownContainerIsRejected() {
    IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class,
        () -> new EnvResolver(client).resolve("shop", spec(app(List.of()), null), LABELS, ANNOTATIONS, "worker",
            null));

    assertThat(e).hasMessage("container: worker (expected one of: [app])");
  }

  private static ResolvedEnv resolve(String ns, Container app) throws DevproxyException {
    return new EnvResolver(client).resolve(ns, spec(app, null), LABELS, ANNOTATIONS, "app", null);
  }

  private static PodSpec spec(Container app, String serviceAccount) {
    return new PodSpecBuilder().withServiceAccountName(serviceAccount).withContainers(app).build();
  }

  private static Container app(List<EnvFromSource> envFrom, EnvVar... env) {
    return new ContainerBuilder().withName("app").withImage("registry.example.com/orders:1.4.2").withEnvFrom(envFrom)
        .withEnv(env).build();
  }

  private static EnvVar[] fieldRefs() {
    return new EnvVar[] {field("POD_NAME", "metadata.name"), field("POD_NAMESPACE", "metadata.namespace"),
        field("POD_UID", "metadata.uid"), field("POD_HASH", "metadata.labels['pod-template-hash']"),
        field("TIER", "metadata.labels['tier']"), field("TEAM", "metadata.annotations['team']"),
        field("NODE_NAME", "spec.nodeName"), field("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        field("POD_IP", "status.podIP"), field("POD_IPS", "status.podIPs"), field("HOST_IP", "status.hostIP"),
        field("HOST_IPS", "status.hostIPs")};
  }

  private static EnvVar literal(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar configMapKey(String name, String configMap, String key, Boolean optional) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewConfigMapKeyRef().withName(configMap)
        .withKey(key).withOptional(optional).endConfigMapKeyRef().endValueFrom().build();
  }

  private static EnvVar secretKey(String name, String secret, String key, Boolean optional) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef().withName(secret)
        .withKey(key).withOptional(optional).endSecretKeyRef().endValueFrom().build();
  }

  private static EnvVar field(String name, String path) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withApiVersion("v1")
        .withFieldPath(path).endFieldRef().endValueFrom().build();
  }

  private static EnvVar resource(String name, String resource, String container, String divisor) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewResourceFieldRef().withResource(resource)
        .withContainerName(container).withDivisor(divisor == null ? null : new Quantity(divisor))
        .endResourceFieldRef().endValueFrom().build();
  }

  private static EnvFromSource fromConfigMap(String name, String prefix, Boolean optional) {
    return new EnvFromSourceBuilder().withPrefix(prefix).withNewConfigMapRef().withName(name)
        .withOptional(optional).endConfigMapRef().build();
  }

  private static EnvFromSource fromSecret(String name, String prefix, Boolean optional) {
    return new EnvFromSourceBuilder().withPrefix(prefix).withNewSecretRef().withName(name).withOptional(optional)
        .endSecretRef().build();
  }

  private static ConfigMap configMap(String ns, String name, String... keysAndValues) {
    return new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withData(map(keysAndValues)).build();
  }

  /** A Secret whose {@code data} holds the base64 of the given plain values, as the API stores it. */
  private static Secret secret(String ns, String name, String... keysAndPlainValues) {
    Map<String, String> data = new LinkedHashMap<>();
    map(keysAndPlainValues).forEach((k, v) -> data.put(k,
        Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata().withType("Opaque")
        .withData(data).build();
  }

  private static void createConfigMap(String ns, String name, String... keysAndValues) {
    client.resource(configMap(ns, name, keysAndValues)).create();
  }

  private static void createSecret(String ns, String name, String... keysAndPlainValues) {
    client.resource(secret(ns, name, keysAndPlainValues)).create();
  }

  private static void forbid(String path, String message) {
    server.expect().get().withPath(path).andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403)
        .withReason("Forbidden").withMessage(message).build()).once();
  }

  private static Map<String, String> map(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}

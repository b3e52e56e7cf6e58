package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static io.devproxy.daemon.kube.ModeFixtures.AGENT;
import static io.devproxy.daemon.kube.ModeFixtures.APP;
import static io.devproxy.daemon.kube.ModeFixtures.fromApi;
import static io.devproxy.daemon.kube.testing.RestrictedPodSecurity.check;
import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.daemon.kube.testing.RestrictedPodSecurity.Rule;
import io.devproxy.daemon.kube.testing.RestrictedPodSecurity.Violation;
import io.fabric8.kubernetes.api.model.AppArmorProfileBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodOSBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptionsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.SysctlBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptionsBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pods devproxy makes (sidecar, swap, shadow) pass the "restricted" Pod Security Standard whenever the app's
 * pods do, so a namespace that enforces it still admits them; and the checker tells when they would not.
 */
class PodSecurityRestrictedTest {

  private static final String AGENT_SC = "spec.containers[" + AgentContainer.NAME + "].securityContext.";

  /** Where a restricted app sets what the standard requires. */
  enum Style {
    /** runAsNonRoot, runAsUser and seccomp for the whole pod; each container drops ALL, no privilege escalation. */
    POD_LEVEL,
    /** Everything on each container, nothing on the pod. */
    CONTAINER_LEVEL
  }

  /** How the agent is put into the pod. */
  enum Mode {
    SIDECAR(app -> SidecarInjection.plan(app, ordersService(), ModeFixtures.target("shop"), AGENT).workload()
        .getSpec().getTemplate()),
    SWAP(app -> SwapInjection.plan(app, ModeFixtures.target("shop"), AGENT, "alice-1").workload()
        .getSpec().getTemplate()),
    SHADOW(app -> ShadowInjection.plan(app, ordersService(), List.of(ordersService()), ModeFixtures.target("shop"),
        AGENT, "alice", "alice-1").deployment().getSpec().getTemplate());

    private final Injection injection;

    Mode(Injection injection) {
      this.injection = injection;
    }

    PodTemplateSpec apply(Deployment app) throws Exception {
      return fromApi(injection.apply(app));
    }
  }

  @FunctionalInterface
  private interface Injection {
    PodTemplateSpec apply(Deployment app) throws Exception;
  }

  private static Service ordersService() {
    return fromApi(service("shop", "orders", APP, servicePort("web", 80, new IntOrString("http"))));
  }

  private static SecurityContext restrictedContainer(Style style) {
    SecurityContextBuilder sc = new SecurityContextBuilder().withAllowPrivilegeEscalation(false)
        .withNewCapabilities().withDrop("ALL").endCapabilities();
    if (style == Style.CONTAINER_LEVEL) {
      sc.withRunAsNonRoot(true).withRunAsUser(1000L).withNewSeccompProfile().withType("RuntimeDefault")
          .endSeccompProfile();
    }
    return sc.build();
  }

  /**
   * {@link ModeFixtures#orders} (log shipper, app, exporter, a ConfigMap volume) plus an init container and an
   * emptyDir, made to pass "restricted" in {@code style}.
   */
  private static Deployment restrictedOrders(Style style) {
    Deployment d = ModeFixtures.orders("shop");
    var spec = d.getSpec().getTemplate().getSpec();
    List<Container> init = new ArrayList<>(List.of(container("migrate")));
    spec.setInitContainers(init);
    List<Volume> volumes = new ArrayList<>(spec.getVolumes());
    volumes.add(new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build());
    spec.setVolumes(volumes);
    Stream.concat(spec.getContainers().stream(), init.stream())
        .forEach(c -> c.setSecurityContext(restrictedContainer(style)));
    if (style == Style.POD_LEVEL) {
      spec.setSecurityContext(new PodSecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser(1000L)
          .withFsGroup(2000L).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build());
    }
    return fromApi(d);
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void theAppPassesRestrictedBeforeTheAgentComes(Style style) {
    assertThat(check(restrictedOrders(style).getSpec().getTemplate())).isEmpty();
  }

  static Stream<Arguments> modesAndStyles() {
    return Stream.of(Mode.values()).flatMap(m -> Stream.of(Style.values()).map(s -> Arguments.of(m, s)));
  }

  @ParameterizedTest(name = "{0} on a {1} app")
  @MethodSource("modesAndStyles")
  void podsWithTheAgentPassRestricted(Mode mode, Style style) throws Exception {
    PodTemplateSpec pod = mode.apply(restrictedOrders(style));

    assertThat(pod.getSpec().getContainers()).extracting(Container::getName).contains(AgentContainer.NAME);
    assertThat(pod.getSpec().getVolumes()).extracting(Volume::getName).contains(AgentContainer.TLS_VOLUME);
    assertThat(check(pod)).isEmpty();
  }

  @Test
  void theAgentNeedsNothingFromThePodLevel() throws Exception {
    PodTemplateSpec pod = Mode.SIDECAR.apply(restrictedOrders(Style.POD_LEVEL));
    pod.getSpec().setSecurityContext(null);

    // The app's containers relied on the pod's runAsNonRoot and seccomp; the agent did not.
    List<String> appContainers = List.of("spec.containers[log-shipper]", "spec.containers[app]",
        "spec.containers[exporter]", "spec.initContainers[migrate]");
    assertThat(check(pod)).extracting(Violation::field).containsExactlyInAnyOrderElementsOf(appContainers.stream()
        .flatMap(c -> Stream.of(c + ".securityContext.runAsNonRoot", c + ".securityContext.seccompProfile.type"))
        .toList());
  }

  // Negative controls: each rule group, broken once in a sidecar pod that passes, gives exactly its violation.

  static Stream<Arguments> brokenPods() {
    return Stream.of(
        broken("hostProcess", pod -> agent(pod).setWindowsOptions(
                new WindowsSecurityContextOptionsBuilder().withHostProcess(true).build()),
            v(Rule.HOST_PROCESS, AGENT_SC + "windowsOptions.hostProcess", "true")),
        broken("hostNetwork", pod -> pod.getSpec().setHostNetwork(true),
            v(Rule.HOST_NAMESPACES, "spec.hostNetwork", "true (expected: false or unset)")),
        broken("hostPID", pod -> pod.getSpec().setHostPID(true),
            v(Rule.HOST_NAMESPACES, "spec.hostPID", "true (expected: false or unset)")),
        broken("privileged", pod -> agent(pod).setPrivileged(true),
            v(Rule.PRIVILEGED, AGENT_SC + "privileged", "true (expected: false or unset)")),
        broken("NET_ADMIN added", pod -> agent(pod).getCapabilities().setAdd(List.of("NET_ADMIN")),
            v(Rule.CAPABILITIES_BASELINE, AGENT_SC + "capabilities.add", "NET_ADMIN")),
        broken("hostPath volume", pod -> volume(pod, new VolumeBuilder().withName("docker")
                .withNewHostPath().withPath("/var/run/docker.sock").endHostPath().build()),
            v(Rule.HOST_PATH_VOLUMES, "spec.volumes[docker].hostPath", "/var/run/docker.sock")),
        broken("hostPort", pod -> agentPort(pod, AGENT.tunnelPort()).setHostPort(AGENT.tunnelPort()),
            v(Rule.HOST_PORTS, "spec.containers[devproxy-agent].ports[8443].hostPort", "8443 (expected: 0 or unset)")),
        broken("AppArmor Unconfined", pod -> agent(pod).setAppArmorProfile(
                new AppArmorProfileBuilder().withType("Unconfined").build()),
            v(Rule.APP_ARMOR, AGENT_SC + "appArmorProfile.type", "Unconfined (expected: RuntimeDefault or Localhost)")),
        broken("AppArmor annotation", pod -> pod.getMetadata().setAnnotations(new HashMap<>(Map.of(
                "container.apparmor.security.beta.kubernetes.io/devproxy-agent", "unconfined"))),
            v(Rule.APP_ARMOR, "metadata.annotations[container.apparmor.security.beta.kubernetes.io/devproxy-agent]",
                "unconfined (expected: runtime/default or localhost/*)")),
        broken("SELinux type", pod -> agent(pod).setSeLinuxOptions(
                new SELinuxOptionsBuilder().withType("spc_t").build()),
            v(Rule.SE_LINUX, AGENT_SC + "seLinuxOptions.type",
                "spc_t (expected: container_t, container_init_t, container_kvm_t or unset)")),
        broken("procMount Unmasked", pod -> agent(pod).setProcMount("Unmasked"),
            v(Rule.PROC_MOUNT, AGENT_SC + "procMount", "Unmasked (expected: Default)")),
        broken("seccomp Unconfined", pod -> agent(pod).getSeccompProfile().setType("Unconfined"),
            v(Rule.SECCOMP_BASELINE, AGENT_SC + "seccompProfile.type",
                "Unconfined (expected: RuntimeDefault or Localhost)")),
        broken("unsafe sysctl", pod -> podContext(pod).setSysctls(List.of(new SysctlBuilder().withName("net.core.somaxconn").withValue("1024").build())),
            v(Rule.SYSCTLS, "spec.securityContext.sysctls[net.core.somaxconn]", "1024 (expected: a safe sysctl)")),
        broken("nfs volume", pod -> volume(pod, new VolumeBuilder().withName("shared")
                .withNewNfs().withServer("nfs.example.com").withPath("/export").endNfs().build()),
            v(Rule.RESTRICTED_VOLUMES, "spec.volumes[shared].nfs", "nfs (expected: configMap, csi, downwardAPI,"
                + " emptyDir, ephemeral, persistentVolumeClaim, projected, secret)")),
        broken("allowPrivilegeEscalation true", pod -> agent(pod).setAllowPrivilegeEscalation(true),
            v(Rule.ALLOW_PRIVILEGE_ESCALATION, AGENT_SC + "allowPrivilegeEscalation", "true (expected: false)")),
        broken("allowPrivilegeEscalation unset", pod -> agent(pod).setAllowPrivilegeEscalation(null),
            v(Rule.ALLOW_PRIVILEGE_ESCALATION, AGENT_SC + "allowPrivilegeEscalation", "<unset> (expected: false)")),
        broken("runAsNonRoot false", pod -> agent(pod).setRunAsNonRoot(false),
            v(Rule.RUN_AS_NON_ROOT, AGENT_SC + "runAsNonRoot", "false (expected: true)")),
        broken("runAsNonRoot false on the pod", pod -> podContext(pod).setRunAsNonRoot(false),
            v(Rule.RUN_AS_NON_ROOT, "spec.securityContext.runAsNonRoot", "false (expected: true)"),
            // The app's containers inherited true from the pod; the agent sets its own.
            v(Rule.RUN_AS_NON_ROOT, "spec.containers[log-shipper].securityContext.runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, "spec.containers[app].securityContext.runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, "spec.containers[exporter].securityContext.runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, "spec.initContainers[migrate].securityContext.runAsNonRoot", inherited())),
        broken("runAsNonRoot nowhere", pod -> {
              podContext(pod).setRunAsNonRoot(null);
              pod.getSpec().getContainers().forEach(c -> c.getSecurityContext().setRunAsNonRoot(null));
            },
            v(Rule.RUN_AS_NON_ROOT, "spec.containers[log-shipper].securityContext.runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, "spec.containers[app].securityContext.runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, "spec.containers[exporter].securityContext.runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, AGENT_SC + "runAsNonRoot", inherited()),
            v(Rule.RUN_AS_NON_ROOT, "spec.initContainers[migrate].securityContext.runAsNonRoot", inherited())),
        broken("runAsUser 0", pod -> agent(pod).setRunAsUser(0L),
            v(Rule.RUN_AS_USER, AGENT_SC + "runAsUser", "0 (expected: non-zero)")),
        broken("runAsUser 0 on the pod", pod -> podContext(pod).setRunAsUser(0L),
            v(Rule.RUN_AS_USER, "spec.securityContext.runAsUser", "0 (expected: non-zero)")),
        broken("no seccomp profile", pod -> agent(pod).setSeccompProfile(null), pod -> podContext(pod)
                .setSeccompProfile(null),
            v(Rule.SECCOMP_RESTRICTED, "spec.containers[log-shipper].securityContext.seccompProfile.type", noSeccomp()),
            v(Rule.SECCOMP_RESTRICTED, "spec.containers[app].securityContext.seccompProfile.type", noSeccomp()),
            v(Rule.SECCOMP_RESTRICTED, "spec.containers[exporter].securityContext.seccompProfile.type", noSeccomp()),
            v(Rule.SECCOMP_RESTRICTED, AGENT_SC + "seccompProfile.type", noSeccomp()),
            v(Rule.SECCOMP_RESTRICTED, "spec.initContainers[migrate].securityContext.seccompProfile.type",
                noSeccomp())),
        broken("capabilities not dropped", pod -> agent(pod).getCapabilities().setDrop(List.of("NET_RAW")),
            v(Rule.CAPABILITIES_RESTRICTED, AGENT_SC + "capabilities.drop", "[NET_RAW] (expected: to include ALL)")),
        broken("CHOWN added", pod -> agent(pod).getCapabilities().setAdd(List.of("CHOWN")),
            v(Rule.CAPABILITIES_RESTRICTED, AGENT_SC + "capabilities.add", "CHOWN (expected: only NET_BIND_SERVICE)")),
        broken("privileged init container", pod -> pod.getSpec().getInitContainers().get(0).getSecurityContext()
                .setPrivileged(true),
            v(Rule.PRIVILEGED, "spec.initContainers[migrate].securityContext.privileged",
                "true (expected: false or unset)")),
        broken("bare ephemeral container", pod -> pod.getSpec().setEphemeralContainers(List.of(
                new EphemeralContainerBuilder().withName("debugger").withImage("busybox").build())),
            v(Rule.ALLOW_PRIVILEGE_ESCALATION, "spec.ephemeralContainers[debugger].securityContext"
                + ".allowPrivilegeEscalation", "<unset> (expected: false)"),
            v(Rule.CAPABILITIES_RESTRICTED, "spec.ephemeralContainers[debugger].securityContext.capabilities.drop",
                "[] (expected: to include ALL)")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenPods")
  void aBrokenRuleIsReported(String name, Consumer<PodTemplateSpec> breakIt, List<Violation> expected)
      throws Exception {
    PodTemplateSpec pod = Mode.SIDECAR.apply(restrictedOrders(Style.POD_LEVEL));
    assertThat(check(pod)).isEmpty();

    breakIt.accept(pod);

    assertThat(check(pod)).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void netBindServiceIsTheOneCapabilityRestrictedAllows() throws Exception {
    PodTemplateSpec pod = Mode.SIDECAR.apply(restrictedOrders(Style.POD_LEVEL));
    agent(pod).getCapabilities().setAdd(List.of("NET_BIND_SERVICE"));

    assertThat(check(pod)).isEmpty();
  }

  @Test
  void containersInheritThePodsRunAsNonRootAndSeccompProfile() throws Exception {
    PodTemplateSpec pod = Mode.SIDECAR.apply(restrictedOrders(Style.POD_LEVEL));
    agent(pod).setRunAsNonRoot(null);
    agent(pod).setSeccompProfile(null);

    assertThat(check(pod)).isEmpty();
  }

  @Test
  void theAgentsOwnSeccompProfileCoversItWithoutThePods() throws Exception {
    PodTemplateSpec pod = Mode.SIDECAR.apply(restrictedOrders(Style.CONTAINER_LEVEL));
    assertThat(pod.getSpec().getSecurityContext()).isNull();

    assertThat(check(pod)).isEmpty();
  }

  @Test
  void windowsPodsAreExemptFromTheLinuxOnlyRules() throws Exception {
    PodTemplateSpec pod = Mode.SIDECAR.apply(restrictedOrders(Style.POD_LEVEL));
    agent(pod).setAllowPrivilegeEscalation(null);
    agent(pod).setCapabilities(null);
    agent(pod).setSeccompProfile(null);
    podContext(pod).setSeccompProfile(null);
    pod.getSpec().getContainers().forEach(c -> c.getSecurityContext().setCapabilities(null));
    pod.getSpec().setOs(new PodOSBuilder().withName("windows").build());

    assertThat(check(pod)).isEmpty();
  }

  private static Arguments broken(String name, Consumer<PodTemplateSpec> breakIt, Violation... expected) {
    return Arguments.of(name, breakIt, List.of(expected));
  }

  private static Arguments broken(String name, Consumer<PodTemplateSpec> first, Consumer<PodTemplateSpec> second,
      Violation... expected) {
    return broken(name, first.andThen(second), expected);
  }

  private static Violation v(Rule rule, String field, String value) {
    return new Violation(rule, field, value);
  }

  private static String inherited() {
    return "<unset>, and unset in spec.securityContext (expected: true in either)";
  }

  private static String noSeccomp() {
    return "<unset>, and unset in spec.securityContext (expected: RuntimeDefault or Localhost in either)";
  }

  private static SecurityContext agent(PodTemplateSpec pod) {
    return find(pod, AgentContainer.NAME).getSecurityContext();
  }

  private static ContainerPort agentPort(PodTemplateSpec pod, int port) {
    return find(pod, AgentContainer.NAME).getPorts().stream().filter(p -> p.getContainerPort() == port)
        .findFirst().orElseThrow();
  }

  private static Container find(PodTemplateSpec pod, String name) {
    return pod.getSpec().getContainers().stream().filter(c -> name.equals(c.getName())).findFirst().orElseThrow();
  }

  private static PodSecurityContext podContext(PodTemplateSpec pod) {
    return pod.getSpec().getSecurityContext();
  }

  private static void volume(PodTemplateSpec pod, Volume volume) {
    List<Volume> volumes = new ArrayList<>(pod.getSpec().getVolumes());
    volumes.add(volume);
    pod.getSpec().setVolumes(volumes);
  }
}

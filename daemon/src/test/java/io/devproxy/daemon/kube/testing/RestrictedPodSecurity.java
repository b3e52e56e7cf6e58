package io.devproxy.daemon.kube.testing;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The Kubernetes Pod Security Standards, "baseline" and "restricted" levels, policy version v1.30
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/), as a check of a pod template: what the
 * {@code PodSecurity} admission plugin would refuse in a namespace labelled
 * {@code pod-security.kubernetes.io/enforce: restricted} and {@code enforce-version: v1.30}.
 *
 * <p>Every container counts: {@code containers}, {@code initContainers} and {@code ephemeralContainers}. Where a
 * rule lets a pod-level value stand for a container's ({@code runAsNonRoot}, {@code seccompProfile}), the
 * container's own value wins and an unset one inherits the pod's, as the kubelet does.
 *
 * <p>Each offending field is reported once, under the first rule that forbids it: an added {@code NET_ADMIN} is a
 * {@link Rule#CAPABILITIES_BASELINE} violation, not also a restricted one; a {@code hostPath} volume is
 * {@link Rule#HOST_PATH_VOLUMES}, not also {@link Rule#RESTRICTED_VOLUMES}; {@code Unconfined} seccomp is
 * {@link Rule#SECCOMP_BASELINE}, and {@link Rule#SECCOMP_RESTRICTED} reports only a container left with no profile.
 *
 * <p>Pinned to v1.30, this is stricter than later versions in two places: the SELinux type
 * {@code container_engine_t} (allowed from v1.31) and the sysctls {@code net.ipv4.tcp_rmem}/{@code tcp_wmem}
 * (safe from v1.32) are reported. As the standard says, a pod with {@code spec.os.name: windows} is exempt from
 * the restricted seccomp, capabilities and privilege escalation rules.
 */
public final class RestrictedPodSecurity {

  /** The controls, named as the {@code PodSecurity} admission plugin's check IDs. */
  public enum Rule {
    HOST_PROCESS("hostProcess"),
    HOST_NAMESPACES("hostNamespaces"),
    PRIVILEGED("privileged"),
    CAPABILITIES_BASELINE("capabilities_baseline"),
    HOST_PATH_VOLUMES("hostPathVolumes"),
    HOST_PORTS("hostPorts"),
    APP_ARMOR("appArmorProfile"),
    SE_LINUX("seLinuxOptions"),
    PROC_MOUNT("procMount"),
    SECCOMP_BASELINE("seccompProfile_baseline"),
    SYSCTLS("sysctls"),
    RESTRICTED_VOLUMES("restrictedVolumes"),
    ALLOW_PRIVILEGE_ESCALATION("allowPrivilegeEscalation"),
    RUN_AS_NON_ROOT("runAsNonRoot"),
    RUN_AS_USER("runAsUser"),
    SECCOMP_RESTRICTED("seccompProfile_restricted"),
    CAPABILITIES_RESTRICTED("capabilities_restricted");

    private final String id;

    Rule(String id) {
      this.id = id;
    }

    @Override
    public String toString() {
      return id;
    }
  }

  /**
   * One offending field.
   *
   * @param field where, as {@code spec.containers[NAME].securityContext.privileged} (containers by name)
   * @param value what it is (or {@code <unset>}), and what the rule wants
   */
  public record Violation(Rule rule, String field, String value) {

    @Override
    public String toString() {
      return rule + ": " + field + " = " + value;
    }
  }

  static final String UNSET = "<unset>";

  private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER",
      "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
  private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
      "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
      "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");
  private static final Set<String> SELINUX_TYPES = Set.of("", "container_t", "container_init_t", "container_kvm_t");
  private static final Set<String> SECCOMP_TYPES = Set.of("RuntimeDefault", "Localhost");
  private static final Set<String> APPARMOR_TYPES = Set.of("RuntimeDefault", "Localhost");
  private static final String APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";
  /** Every volume source but {@code hostPath}, restricted's allowed ones first. */
  private static final Map<String, Function<Volume, Object>> VOLUME_SOURCES = volumeSources();
  private static final Set<String> RESTRICTED_VOLUME_TYPES = Set.of("configMap", "csi", "downwardAPI", "emptyDir",
      "ephemeral", "persistentVolumeClaim", "projected", "secret");

  private RestrictedPodSecurity() {}

  /** The violations of {@code template} (its spec and its AppArmor annotations); empty when it passes. */
  public static List<Violation> check(PodTemplateSpec template) {
    requireNonNull(template, "template");
    Map<String, String> annotations = template.getMetadata() == null ? null
        : template.getMetadata().getAnnotations();
    return check(template.getSpec(), annotations == null ? Map.of() : annotations);
  }

  /**
   * The violations of {@code spec} with the pod's {@code annotations}; empty when it passes.
   *
   * @param annotations the pod's (or template's) annotations, for the AppArmor ones
   */
  public static List<Violation> check(PodSpec spec, Map<String, String> annotations) {
    requireNonNull(spec, "spec");
    requireNonNull(annotations, "annotations");
    List<Violation> out = new ArrayList<>();
    PodSecurityContext pod = spec.getSecurityContext() == null ? new PodSecurityContext() : spec.getSecurityContext();
    boolean windows = spec.getOs() != null && "windows".equals(spec.getOs().getName());

    // Pod-level fields.
    if (pod.getWindowsOptions() != null && Boolean.TRUE.equals(pod.getWindowsOptions().getHostProcess())) {
      out.add(new Violation(Rule.HOST_PROCESS, "spec.securityContext.windowsOptions.hostProcess", "true"));
    }
    hostNamespace(out, "hostNetwork", spec.getHostNetwork());
    hostNamespace(out, "hostPID", spec.getHostPID());
    hostNamespace(out, "hostIPC", spec.getHostIPC());
    if (pod.getAppArmorProfile() != null && !APPARMOR_TYPES.contains(pod.getAppArmorProfile().getType())) {
      out.add(new Violation(Rule.APP_ARMOR, "spec.securityContext.appArmorProfile.type",
          pod.getAppArmorProfile().getType() + " (expected: RuntimeDefault or Localhost)"));
    }
    annotations.forEach((key, value) -> {
      if (key.startsWith(APPARMOR_ANNOTATION) && !"runtime/default".equals(value)
          && (value == null || !value.startsWith("localhost/"))) {
        out.add(new Violation(Rule.APP_ARMOR, "metadata.annotations[" + key + "]",
            value + " (expected: runtime/default or localhost/*)"));
      }
    });
    seLinux(out, "spec.securityContext.seLinuxOptions", pod.getSeLinuxOptions());
    if (pod.getSeccompProfile() != null && !SECCOMP_TYPES.contains(pod.getSeccompProfile().getType())) {
      out.add(new Violation(Rule.SECCOMP_BASELINE, "spec.securityContext.seccompProfile.type",
          pod.getSeccompProfile().getType() + " (expected: RuntimeDefault or Localhost)"));
    }
    if (pod.getSysctls() != null) {
      for (Sysctl sysctl : pod.getSysctls()) {
        if (!SAFE_SYSCTLS.contains(sysctl.getName())) {
          out.add(new Violation(Rule.SYSCTLS, "spec.securityContext.sysctls[" + sysctl.getName() + "]",
              sysctl.getValue() + " (expected: a safe sysctl)"));
        }
      }
    }
    if (Boolean.FALSE.equals(pod.getRunAsNonRoot())) {
      out.add(new Violation(Rule.RUN_AS_NON_ROOT, "spec.securityContext.runAsNonRoot", "false (expected: true)"));
    }
    if (Long.valueOf(0).equals(pod.getRunAsUser())) {
      out.add(new Violation(Rule.RUN_AS_USER, "spec.securityContext.runAsUser", "0 (expected: non-zero)"));
    }

    if (spec.getVolumes() != null) {
      for (Volume volume : spec.getVolumes()) {
        volume(out, volume);
      }
    }

    for (Named c : containers(spec)) {
      container(out, c, pod, windows);
    }
    return out;
  }

  private static void container(List<Violation> out, Named c, PodSecurityContext pod, boolean windows) {
    String at = c.path() + ".securityContext.";
    SecurityContext sc = c.securityContext() == null ? new SecurityContext() : c.securityContext();
    if (sc.getWindowsOptions() != null && Boolean.TRUE.equals(sc.getWindowsOptions().getHostProcess())) {
      out.add(new Violation(Rule.HOST_PROCESS, at + "windowsOptions.hostProcess", "true"));
    }
    if (Boolean.TRUE.equals(sc.getPrivileged())) {
      out.add(new Violation(Rule.PRIVILEGED, at + "privileged", "true (expected: false or unset)"));
    }
    Capabilities caps = sc.getCapabilities();
    List<String> added = caps == null || caps.getAdd() == null ? List.of() : caps.getAdd();
    for (String cap : added) {
      if (!BASELINE_CAPABILITIES.contains(cap)) {
        out.add(new Violation(Rule.CAPABILITIES_BASELINE, at + "capabilities.add", cap));
      }
    }
    if (c.ports() != null) {
      for (ContainerPort port : c.ports()) {
        if (port.getHostPort() != null && port.getHostPort() != 0) {
          out.add(new Violation(Rule.HOST_PORTS, c.path() + ".ports[" + port.getContainerPort() + "].hostPort",
              port.getHostPort() + " (expected: 0 or unset)"));
        }
      }
    }
    if (sc.getAppArmorProfile() != null && !APPARMOR_TYPES.contains(sc.getAppArmorProfile().getType())) {
      out.add(new Violation(Rule.APP_ARMOR, at + "appArmorProfile.type",
          sc.getAppArmorProfile().getType() + " (expected: RuntimeDefault or Localhost)"));
    }
    seLinux(out, at + "seLinuxOptions", sc.getSeLinuxOptions());
    if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
      out.add(new Violation(Rule.PROC_MOUNT, at + "procMount", sc.getProcMount() + " (expected: Default)"));
    }
    String seccomp = sc.getSeccompProfile() == null ? null : sc.getSeccompProfile().getType();
    if (seccomp != null && !SECCOMP_TYPES.contains(seccomp)) {
      out.add(new Violation(Rule.SECCOMP_BASELINE, at + "seccompProfile.type",
          seccomp + " (expected: RuntimeDefault or Localhost)"));
    }

    // Restricted.
    if (!windows && !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
      out.add(new Violation(Rule.ALLOW_PRIVILEGE_ESCALATION, at + "allowPrivilegeEscalation",
          (sc.getAllowPrivilegeEscalation() == null ? UNSET : "true") + " (expected: false)"));
    }
    if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
      out.add(new Violation(Rule.RUN_AS_NON_ROOT, at + "runAsNonRoot", "false (expected: true)"));
    } else if (sc.getRunAsNonRoot() == null && !Boolean.TRUE.equals(pod.getRunAsNonRoot())) {
      out.add(new Violation(Rule.RUN_AS_NON_ROOT, at + "runAsNonRoot",
          UNSET + ", and unset in spec.securityContext (expected: true in either)"));
    }
    if (Long.valueOf(0).equals(sc.getRunAsUser())) {
      out.add(new Violation(Rule.RUN_AS_USER, at + "runAsUser", "0 (expected: non-zero)"));
    }
    if (!windows && seccomp == null && pod.getSeccompProfile() == null) {
      out.add(new Violation(Rule.SECCOMP_RESTRICTED, at + "seccompProfile.type",
          UNSET + ", and unset in spec.securityContext (expected: RuntimeDefault or Localhost in either)"));
    }
    if (!windows) {
      List<String> dropped = caps == null || caps.getDrop() == null ? List.of() : caps.getDrop();
      if (!dropped.contains("ALL")) {
        out.add(new Violation(Rule.CAPABILITIES_RESTRICTED, at + "capabilities.drop",
            dropped + " (expected: to include ALL)"));
      }
      for (String cap : added) {
        if (BASELINE_CAPABILITIES.contains(cap) && !"NET_BIND_SERVICE".equals(cap)) {
          out.add(new Violation(Rule.CAPABILITIES_RESTRICTED, at + "capabilities.add", cap
              + " (expected: only NET_BIND_SERVICE)"));
        }
      }
    }
  }

  private static void hostNamespace(List<Violation> out, String field, Boolean value) {
    if (Boolean.TRUE.equals(value)) {
      out.add(new Violation(Rule.HOST_NAMESPACES, "spec." + field, "true (expected: false or unset)"));
    }
  }

  private static void seLinux(List<Violation> out, String at, SELinuxOptions options) {
    if (options == null) {
      return;
    }
    if (options.getType() != null && !SELINUX_TYPES.contains(options.getType())) {
      out.add(new Violation(Rule.SE_LINUX, at + ".type", options.getType()
          + " (expected: container_t, container_init_t, container_kvm_t or unset)"));
    }
    if (options.getUser() != null && !options.getUser().isEmpty()) {
      out.add(new Violation(Rule.SE_LINUX, at + ".user", options.getUser() + " (expected: unset)"));
    }
    if (options.getRole() != null && !options.getRole().isEmpty()) {
      out.add(new Violation(Rule.SE_LINUX, at + ".role", options.getRole() + " (expected: unset)"));
    }
  }

  private static void volume(List<Violation> out, Volume volume) {
    String at = "spec.volumes[" + volume.getName() + "]";
    if (volume.getHostPath() != null) {
      out.add(new Violation(Rule.HOST_PATH_VOLUMES, at + ".hostPath", volume.getHostPath().getPath()));
      return;
    }
    String type = VOLUME_SOURCES.entrySet().stream().filter(e -> e.getValue().apply(volume) != null)
        .map(Map.Entry::getKey).findFirst().orElse(null);
    if (type != null && !RESTRICTED_VOLUME_TYPES.contains(type)) {
      out.add(new Violation(Rule.RESTRICTED_VOLUMES, at + "." + type,
          type + " (expected: " + String.join(", ", RESTRICTED_VOLUME_TYPES.stream().sorted().toList()) + ")"));
    }
  }

  private static Map<String, Function<Volume, Object>> volumeSources() {
    Map<String, Function<Volume, Object>> m = new LinkedHashMap<>();
    m.put("configMap", Volume::getConfigMap);
    m.put("csi", Volume::getCsi);
    m.put("downwardAPI", Volume::getDownwardAPI);
    m.put("emptyDir", Volume::getEmptyDir);
    m.put("ephemeral", Volume::getEphemeral);
    m.put("persistentVolumeClaim", Volume::getPersistentVolumeClaim);
    m.put("projected", Volume::getProjected);
    m.put("secret", Volume::getSecret);
    m.put("awsElasticBlockStore", Volume::getAwsElasticBlockStore);
    m.put("azureDisk", Volume::getAzureDisk);
    m.put("azureFile", Volume::getAzureFile);
    m.put("cephfs", Volume::getCephfs);
    m.put("cinder", Volume::getCinder);
    m.put("fc", Volume::getFc);
    m.put("flexVolume", Volume::getFlexVolume);
    m.put("flocker", Volume::getFlocker);
    m.put("gcePersistentDisk", Volume::getGcePersistentDisk);
    m.put("gitRepo", Volume::getGitRepo);
    m.put("glusterfs", Volume::getGlusterfs);
    m.put("image", Volume::getImage);
    m.put("iscsi", Volume::getIscsi);
    m.put("nfs", Volume::getNfs);
    m.put("photonPersistentDisk", Volume::getPhotonPersistentDisk);
    m.put("portworxVolume", Volume::getPortworxVolume);
    m.put("quobyte", Volume::getQuobyte);
    m.put("rbd", Volume::getRbd);
    m.put("scaleIO", Volume::getScaleIO);
    m.put("storageos", Volume::getStorageos);
    m.put("vsphereVolume", Volume::getVsphereVolume);
    return m;
  }

  /** A container of any of the three lists, with where it is. */
  private record Named(String path, SecurityContext securityContext, List<ContainerPort> ports) {}

  private static List<Named> containers(PodSpec spec) {
    List<Named> all = new ArrayList<>();
    add(all, "spec.containers", spec.getContainers());
    add(all, "spec.initContainers", spec.getInitContainers());
    if (spec.getEphemeralContainers() != null) {
      for (EphemeralContainer c : spec.getEphemeralContainers()) {
        all.add(new Named("spec.ephemeralContainers[" + c.getName() + "]", c.getSecurityContext(), c.getPorts()));
      }
    }
    return all;
  }

  private static void add(List<Named> all, String list, List<Container> containers) {
    if (containers != null) {
      for (Container c : containers) {
        all.add(new Named(list + "[" + c.getName() + "]", c.getSecurityContext(), c.getPorts()));
      }
    }
  }
}

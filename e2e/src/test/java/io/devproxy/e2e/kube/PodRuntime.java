package io.devproxy.e2e.kube;

import io.devproxy.e2e.kube.ContainerEnv.ConfigError;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * One pod on the stand-in's node: its volumes on disk under {@code <work>/pods/<pod>/volumes/<volume>} and its
 * containers. The pod waits (Pending, containers ContainerCreating) while a Secret or ConfigMap one of its volumes
 * needs is missing, and while another pod holds one of the ports its containers declare (pods share the host's
 * network here, as {@code hostNetwork} pods on one node do). Then every container starts on its own: one whose
 * env cannot be resolved waits with CreateContainerConfigError and is tried again on the next pass.
 *
 * <p>Secret and ConfigMap volumes follow their source: a change is written into the volume as a kubelet does (see
 * {@link VolumeDir}), within a pass of the change. The kubelet thread changes it; other threads read it.
 */
final class PodRuntime {

  private static final Logger logger = Logger.getLogger(PodRuntime.class.getName());
  /** Mode of Secret and ConfigMap files without {@code defaultMode}: 0644. */
  private static final int DEFAULT_MODE = 0644;

  private final Pod pod;
  private final String prefix;
  private final Path dir;
  private final String host;
  private final AgentImage agentImage;
  private final Map<String, VolumeDir> volumes = new LinkedHashMap<>();
  private final List<ContainerRuntime> containers = new ArrayList<>();
  private final Instant created = Instant.now();
  private volatile boolean sandboxReady;
  private volatile Set<String> blockedBy = Set.of();
  private boolean wasReady;
  private Instant readyChanged = created;

  /** @param host the pod's (and node's) address: every pod shares the host's loopback network */
  PodRuntime(Pod pod, Path dir, String host, AgentImage agentImage) {
    this.pod = pod;
    this.prefix = "[" + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + "]";
    this.dir = dir;
    this.host = host;
    this.agentImage = agentImage;
    if (pod.getSpec().getVolumes() != null) {
      for (Volume v : pod.getSpec().getVolumes()) {
        volumes.put(v.getName(), new VolumeDir(dir.resolve("volumes").resolve(v.getName())));
      }
    }
    for (Container c : pod.getSpec().getContainers()) {
      Path log = KubeletStandIn.AGENT_CONTAINER.equals(c.getName()) ? dir.resolve(c.getName() + ".log") : null;
      containers.add(new ContainerRuntime(c, name(), log, host));
    }
  }

  String name() {
    return pod.getMetadata().getName();
  }

  String uid() {
    return pod.getMetadata().getUid();
  }

  List<ContainerRuntime> containers() {
    return containers;
  }

  /** The ports the pod's containers declare. */
  Set<Integer> ports() {
    Set<Integer> ports = new TreeSet<>();
    containers.forEach(c -> declared(c.spec()).forEach(p -> ports.add(p.getContainerPort())));
    return ports;
  }

  /** The pods holding ports this pod waits for, when its volumes are ready and only ports keep it from starting. */
  Set<String> blockedBy() {
    return blockedBy;
  }

  /** Whether the pod's sandbox is up, so it holds its ports until it is stopped. */
  boolean holdsPorts() {
    return sandboxReady;
  }

  /** Whether a running container of this pod declares {@code port}. */
  boolean serves(int port) {
    return containers.stream().anyMatch(c -> c.running()
        && declared(c.spec()).anyMatch(p -> p.getContainerPort() != null && p.getContainerPort() == port));
  }

  /**
   * One kubelet pass: writes the volumes, waits for the ports, (re)starts containers, probes them.
   *
   * @param portHolders the other pods holding any of the given ports
   */
  void sync(ApiView api, KubeletStandIn.AppContainers apps, Function<Set<Integer>, Set<String>> portHolders) {
    String volumeProblem = writeVolumes(api);
    if (!sandboxReady) {
      String waiting = volumeProblem;
      Set<String> holders = waiting == null ? portHolders.apply(ports()) : Set.of();
      blockedBy = holders;
      if (!holders.isEmpty()) {
        waiting = "the pods share the host's network and " + holders + " hold(s) one of the ports " + ports();
      }
      if (waiting != null) {
        for (ContainerRuntime c : containers) {
          c.failedToStart("ContainerCreating", waiting, false);
        }
        return;
      }
      sandboxReady = true;
    }
    for (ContainerRuntime c : containers) {
      c.poll();
      if (c.mayStart()) {
        start(c, api, apps);
        c.poll();
      }
    }
    boolean ready = containers.stream().allMatch(ContainerRuntime::ready);
    if (ready != wasReady) {
      wasReady = ready;
      readyChanged = Instant.now();
    }
  }

  /** Takes every process out of the pod, for the caller to stop them (several pods at once). */
  List<Process> detachProcesses() {
    return containers.stream().map(ContainerRuntime::detachProcess).filter(p -> p != null).toList();
  }

  /** Stops the app stand-ins. */
  void closeApps() {
    for (ContainerRuntime c : containers) {
      try {
        c.closeApp();
      } catch (Exception e) {
        logger.log(Level.WARNING, prefix + " stopping container " + c.name() + " failed", e);
      }
    }
  }

  /** The status a kubelet would report now. */
  PodStatus status() {
    boolean allStarted = containers.stream().allMatch(ContainerRuntime::started);
    boolean ready = containers.stream().allMatch(ContainerRuntime::ready);
    String since = ContainerRuntime.time(created);
    PodStatusBuilder status = new PodStatusBuilder()
        .withPhase(allStarted ? "Running" : "Pending")
        .withConditions(
            condition("PodScheduled", true, since),
            condition("Initialized", true, since),
            condition("ContainersReady", ready, ContainerRuntime.time(readyChanged)),
            condition("Ready", ready, ContainerRuntime.time(readyChanged)))
        .withHostIP(host)
        .addNewHostIP(host)
        .withStartTime(since)
        .withQosClass("Burstable")
        .withContainerStatuses(containers.stream().map(ContainerRuntime::status).toList());
    if (sandboxReady) {
      status.withPodIP(host).addNewPodIP(host);
    }
    return status.build();
  }

  String describe() {
    StringBuilder text = new StringBuilder("pod ").append(name()).append(" (")
        .append(sandboxReady ? "sandbox up" : "waiting for its sandbox").append(", ports ").append(ports())
        .append(")");
    for (ContainerRuntime c : containers) {
      text.append("\n    ").append(c.describe());
    }
    return text.toString();
  }

  private void start(ContainerRuntime c, ApiView api, KubeletStandIn.AppContainers apps) {
    try {
      Map<String, String> env = ContainerEnv.resolve(c.spec(), pod, host, api);
      Map<String, Path> mounts = ContainerEnv.mounts(c.spec(), volumePaths());
      if (c.isProcess()) {
        List<String> line = agentImage.commandLine(c.spec(), env).stream()
            .map(arg -> ContainerEnv.rewriteMounts(arg, mounts)).toList();
        env.replaceAll((k, v) -> ContainerEnv.rewriteMounts(v, mounts));
        c.startProcess(line, env, dir);
        logger.fine(() -> prefix + " started " + c.name() + ": " + line);
      } else {
        env.replaceAll((k, v) -> ContainerEnv.rewriteMounts(v, mounts));
        c.startApp(apps, env);
      }
    } catch (ConfigError e) {
      c.failedToStart("CreateContainerConfigError", e.getMessage(), false);
    } catch (Exception | Error e) {
      // Whatever AppContainers throws (an AssertionError included) is this container's failure, not the pass's.
      logger.log(Level.WARNING, prefix + " container " + c.name() + " failed to start", e);
      c.failedToStart("RunContainerError", e.toString(), true);
    }
  }

  private Map<String, Path> volumePaths() {
    Map<String, Path> paths = new LinkedHashMap<>();
    volumes.forEach((name, v) -> paths.put(name, v.path()));
    return paths;
  }

  /** Writes every volume; null when all are there, else why the pod cannot start yet. */
  private String writeVolumes(ApiView api) {
    if (pod.getSpec().getVolumes() == null) {
      return null;
    }
    String problem = null;
    for (Volume v : pod.getSpec().getVolumes()) {
      VolumeDir volume = volumes.get(v.getName());
      try {
        Map<String, VolumeDir.File> files = files(v, api);
        if (files == null) {
          Files.createDirectories(volume.path());
        } else if (volume.write(files) && sandboxReady) {
          logger.info(() -> prefix + " volume " + v.getName() + " updated from its source");
        }
      } catch (ConfigError e) {
        // A kubelet keeps the last content of a volume whose source went away.
        problem = "MountVolume.SetUp failed for volume \"" + v.getName() + "\": " + e.getMessage();
      } catch (IOException | RuntimeException e) {
        problem = "cannot write volume " + v.getName() + ": " + e;
      }
    }
    return problem;
  }

  /** A Secret or ConfigMap volume's files; null for any other volume (an empty directory). */
  private static Map<String, VolumeDir.File> files(Volume v, ApiView api) throws ConfigError {
    Map<String, byte[]> data;
    List<KeyToPath> items;
    Integer defaultMode;
    boolean optional;
    if (v.getSecret() != null) {
      Secret s = api.secret(v.getSecret().getSecretName());
      optional = Boolean.TRUE.equals(v.getSecret().getOptional());
      if (s == null && !optional) {
        throw new ConfigError("secret \"" + v.getSecret().getSecretName() + "\" not found");
      }
      data = s == null ? Map.of() : ApiView.data(s);
      items = v.getSecret().getItems();
      defaultMode = v.getSecret().getDefaultMode();
    } else if (v.getConfigMap() != null) {
      ConfigMap m = api.configMap(v.getConfigMap().getName());
      optional = Boolean.TRUE.equals(v.getConfigMap().getOptional());
      if (m == null && !optional) {
        throw new ConfigError("configmap \"" + v.getConfigMap().getName() + "\" not found");
      }
      data = m == null ? Map.of() : ApiView.data(m);
      items = v.getConfigMap().getItems();
      defaultMode = v.getConfigMap().getDefaultMode();
    } else {
      return null;
    }
    int mode = defaultMode == null ? DEFAULT_MODE : defaultMode;
    Map<String, VolumeDir.File> files = new LinkedHashMap<>();
    if (items == null || items.isEmpty()) {
      data.forEach((k, bytes) -> files.put(k, new VolumeDir.File(bytes, mode)));
      return files;
    }
    for (KeyToPath item : items) {
      byte[] bytes = data.get(item.getKey());
      if (bytes == null) {
        if (optional) {
          continue;
        }
        throw new ConfigError("references non-existent key " + item.getKey());
      }
      files.put(item.getPath(), new VolumeDir.File(bytes, item.getMode() == null ? mode : item.getMode()));
    }
    return files;
  }

  private static Stream<ContainerPort> declared(Container c) {
    return c.getPorts() == null ? Stream.empty() : c.getPorts().stream().filter(p -> p.getContainerPort() != null);
  }

  private static PodCondition condition(String type, boolean status, String since) {
    return new PodConditionBuilder().withType(type).withStatus(status ? "True" : "False")
        .withLastTransitionTime(since).build();
  }
}

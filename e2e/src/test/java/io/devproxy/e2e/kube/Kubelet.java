package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node side: runs every pod of the namespace that is bound to the stand-in's node (or to none), stops the pods
 * that are gone from the API, and writes each pod's status through the {@code status} subresource when it differs
 * from what the API holds (the CRUD mock replaces a pod's status on a plain update, so this also repairs a status
 * someone else's update wiped).
 *
 * <p>{@link #sync()} runs on the stand-in's thread; the accessors are safe from any thread.
 */
final class Kubelet {

  private static final Logger logger = Logger.getLogger(Kubelet.class.getName());
  /** How long stopped processes get after SIGTERM (a pod's terminationGracePeriodSeconds, capped for tests). */
  static final Duration GRACE = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final String namespace;
  private final Path workDir;
  private final String host;
  private final AgentImage agentImage;
  private final KubeletStandIn.AppContainers apps;
  private final KubernetesSerialization json;
  private final Map<String, PodRuntime> pods = new ConcurrentHashMap<>();
  /** Every agent log ever written, by pod name: it stays after the pod is gone. */
  private final Map<String, Path> agentLogs = new ConcurrentHashMap<>();

  Kubelet(KubernetesClient client, String namespace, Path workDir, String host, AgentImage agentImage,
      KubeletStandIn.AppContainers apps) {
    this.client = client;
    this.namespace = namespace;
    this.workDir = workDir;
    this.host = host;
    this.agentImage = agentImage;
    this.apps = apps;
    this.json = client.getKubernetesSerialization();
  }

  /** One pass over the namespace's pods: stops those that are gone, starts and probes the others. */
  void sync(List<Pod> namespacePods) {
    List<Pod> current = namespacePods.stream()
        .filter(p -> p.getSpec() != null && (p.getSpec().getNodeName() == null
            || KubeletStandIn.NODE_NAME.equals(p.getSpec().getNodeName())))
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
    Map<String, Pod> byName = new HashMap<>();
    current.forEach(p -> byName.put(p.getMetadata().getName(), p));
    List<PodRuntime> gone = new ArrayList<>();
    for (PodRuntime runtime : pods.values()) {
      Pod pod = byName.get(runtime.name());
      if (pod == null || !Objects.equals(pod.getMetadata().getUid(), runtime.uid())) {
        gone.add(runtime);
      }
    }
    stop(gone);
    ApiView api = new ApiView(client, namespace);
    for (Pod pod : current) {
      PodRuntime runtime = pods.computeIfAbsent(pod.getMetadata().getName(), name -> newRuntime(pod));
      runtime.sync(api, apps, ports -> holders(runtime, ports));
      writeStatus(pod, runtime.status());
    }
  }

  /** Stops every pod. Its objects stay in the API. */
  void stopAll() {
    stop(List.copyOf(pods.values()));
  }

  /** Names of the pods this kubelet runs (or waits to run). */
  Set<String> podNames() {
    return new TreeSet<>(pods.keySet());
  }

  /**
   * Names of the pods holding one of the ports {@code pod} waits for; empty unless the pod waits for ports only (its
   * volumes are ready, so it would start once they are free).
   */
  Set<String> blockers(String pod) {
    PodRuntime runtime = pods.get(pod);
    return runtime == null ? Set.of() : runtime.blockedBy();
  }

  /** Whether {@code pod} runs a container declaring {@code port}. */
  boolean serves(String pod, int port) {
    PodRuntime runtime = pods.get(pod);
    return runtime != null && runtime.serves(port);
  }

  Optional<ProcessHandle> agentProcess(String pod) {
    PodRuntime runtime = pods.get(pod);
    return runtime == null ? Optional.empty() : runtime.containers().stream()
        .filter(c -> c.name().equals(KubeletStandIn.AGENT_CONTAINER))
        .findFirst().flatMap(ContainerRuntime::processHandle);
  }

  Path agentLog(String pod) {
    return agentLogs.get(pod);
  }

  String describe() {
    StringBuilder text = new StringBuilder();
    for (PodRuntime runtime : pods.values()) {
      text.append("  ").append(runtime.describe()).append('\n');
    }
    return text.toString();
  }

  private PodRuntime newRuntime(Pod pod) {
    String name = pod.getMetadata().getName();
    Path dir = workDir.resolve("pods").resolve(name);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    PodRuntime runtime = new PodRuntime(pod, dir, host, agentImage);
    runtime.containers().stream().filter(ContainerRuntime::isProcess).findFirst()
        .ifPresent(c -> agentLogs.put(name, c.log()));
    logger.fine(() -> "[" + namespace + "/" + name + "] pod admitted");
    return runtime;
  }

  private Set<String> holders(PodRuntime pod, Set<Integer> ports) {
    Set<String> holders = new TreeSet<>();
    for (PodRuntime other : pods.values()) {
      if (other != pod && other.holdsPorts() && other.ports().stream().anyMatch(ports::contains)) {
        holders.add(other.name());
      }
    }
    return holders;
  }

  private void stop(List<PodRuntime> runtimes) {
    if (runtimes.isEmpty()) {
      return;
    }
    List<Process> processes = new ArrayList<>();
    runtimes.forEach(r -> processes.addAll(r.detachProcesses()));
    StandInProcesses.stop(processes, GRACE);
    for (PodRuntime r : runtimes) {
      r.closeApps();
      pods.remove(r.name(), r);
      logger.fine(() -> "[" + namespace + "/" + r.name() + "] pod stopped");
    }
  }

  private void writeStatus(Pod pod, PodStatus status) {
    if (json.asJson(status).equals(pod.getStatus() == null ? null : json.asJson(pod.getStatus()))) {
      return;
    }
    try {
      client.pods().inNamespace(namespace).resource(new PodBuilder(pod).withStatus(status).build()).updateStatus();
    } catch (KubernetesClientException e) {
      // Gone meanwhile, or a conflict: the next pass writes it again.
      logger.log(Level.FINE, "[" + namespace + "/" + pod.getMetadata().getName() + "] status not written", e);
    }
  }
}

package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the workload is patched for swap mode: the target container is replaced by the traffic agent, which has
 * no app behind it (unmatched requests get 503). Pure functions, no API calls; inputs are never modified.
 *
 * <p>The agent takes the container's place in the list (same index) under the name {@value AgentContainer#NAME},
 * not the app's name: {@code kubectl logs -c <app>} then fails with "container not found" instead of showing the
 * agent's logs as if they were the app's, and everything that finds the agent by name (pod watchers, image pull
 * errors, {@link AgentContainer#listenPort}) works the same in every mode. The original name is in the
 * {@value RestoreRecord#ANNOTATION} annotation (key {@code container}), with the whole container list and the
 * volumes, so restore puts the app back exactly, position included. The agent keeps the app's env, envFrom,
 * volumeMounts and ports (see {@link AgentContainer#replacing}), so the Service is not changed. The agent's image
 * pull Secrets are added as in sidecar mode ({@link ImagePullSecrets}). The record also
 * holds {@code mode: swap} and the session that swapped the workload, so another intercept can say who holds it.
 */
public final class SwapInjection {

  static final String MODE = "swap";

  private SwapInjection() {}

  /**
   * What to write.
   *
   * @param workload the workload to write (a copy), or the input when reused
   * @param reuse whether {@code sessionId} had already swapped this workload: nothing to write
   * @param agentPort the port the agent serves the intercepted port on: the container port itself
   */
  public record Plan<W extends HasMetadata>(W workload, boolean reuse, int agentPort) {}

  /**
   * Plans the agent in place of the target container of {@code current}.
   *
   * @param sessionId the session that swaps, recorded so others see who holds the workload; may be null
   * @throws DevproxyException USER when the workload already has the agent (sidecar, or swapped by another
   *     session), the target container is gone, or the agent's names, ports or TLS mount path are taken
   */
  public static Plan<Deployment> plan(Deployment current, InterceptTarget target, AgentSpec agent,
      String sessionId) throws DevproxyException {
    return planAny(current, target, agent, sessionId);
  }

  /** As {@link #plan(Deployment, InterceptTarget, AgentSpec, String)}, for a StatefulSet. */
  public static Plan<StatefulSet> plan(StatefulSet current, InterceptTarget target, AgentSpec agent,
      String sessionId) throws DevproxyException {
    return planAny(current, target, agent, sessionId);
  }

  /** {@code patched} as it was before the swap (a copy); the same as {@link SidecarInjection#restore(Deployment)}. */
  public static Deployment restore(Deployment patched) {
    return SidecarInjection.restore(patched);
  }

  /** As {@link #restore(Deployment)}, for a StatefulSet. */
  public static StatefulSet restore(StatefulSet patched) {
    return SidecarInjection.restore(patched);
  }

  /** Whether devproxy swapped {@code workload}'s container for the agent. */
  public static boolean isSwapped(HasMetadata workload) {
    RestoreRecord record = RestoreRecord.of(workload.getMetadata());
    return record != null && MODE.equals(record.string("mode"));
  }

  /**
   * The container the agent replaced, as it was (for the environment import); null when {@code workload} is not
   * swapped.
   */
  public static Container originalContainer(HasMetadata workload) {
    RestoreRecord record = RestoreRecord.of(workload.getMetadata());
    if (record == null || !MODE.equals(record.string("mode"))) {
      return null;
    }
    return PodTemplates.find(record.list("containers", Container[].class), record.string("container"));
  }

  /** The session recorded by the swap of {@code workload}; null when none was given or it is not swapped. */
  static String session(HasMetadata workload) {
    RestoreRecord record = RestoreRecord.of(workload.getMetadata());
    return record == null || !MODE.equals(record.string("mode")) ? null : record.string("session");
  }

  /** {@code is swapped by devproxy (session S, container C)}, for error messages. */
  static String swappedBy(HasMetadata workload) {
    RestoreRecord record = RestoreRecord.of(workload.getMetadata());
    String session = record == null ? null : record.string("session");
    String container = record == null ? null : record.string("container");
    return "is already swapped by devproxy (" + (session == null ? "" : "session '" + session + "', ")
        + "container '" + container + "' replaced by the agent)";
  }

  private static <W extends HasMetadata> Plan<W> planAny(W current, InterceptTarget target, AgentSpec agent,
      String sessionId) throws DevproxyException {
    requireNonNull(current, "current");
    requireNonNull(target, "target");
    requireNonNull(agent, "agent");
    if (isSwapped(current)) {
      if (sessionId != null && sessionId.equals(session(current))) {
        Container existing = PodTemplates.find(PodTemplates.podSpec(current).getContainers(), AgentContainer.NAME);
        return new Plan<>(current, true, existing == null ? target.containerPort()
            : AgentContainer.listenPort(existing));
      }
      throw PodTemplates.userError(target, swappedBy(current) + "; run 'devproxy leave' in that session (or"
          + " 'devproxy uninstall'), or use --mode shadow");
    }
    if (SidecarInjection.isInjected(current)) {
      throw PodTemplates.userError(target, "already runs the devproxy agent as a sidecar, which teammates may be"
          + " using; use --mode sidecar to share it, or --mode shadow, or run 'devproxy uninstall' first");
    }
    W copy = PodTemplates.copy(current);
    PodSpec pod = PodTemplates.podSpec(copy);
    int index = replace(pod, target, agent,
        AgentContainer.workloadEnv(target.workloadKind(), target.workloadName(), null));
    RestoreRecord record = RestoreRecord.create()
        .put("mode", MODE)
        .put("session", sessionId)
        .put("service", target.service())
        .put("container", target.container())
        .put("containers", PodTemplates.podSpec(current).getContainers())
        .put("volumes", PodTemplates.podSpec(current).getVolumes());
    ImagePullSecrets.add(pod, agent.imagePullSecrets(), record);
    record.writeTo(copy.getMetadata());
    return new Plan<>(copy, false, AgentContainer.listenPort(pod.getContainers().get(index)));
  }

  /**
   * Replaces the target container of {@code pod} (in place) by the agent and adds the TLS volume; shared with
   * shadow mode, whose copy is swapped the same way.
   *
   * @param workloadEnv from {@link AgentContainer#workloadEnv}: the workload whose pods run the agent
   * @return the agent's index in the containers list, which is the app's
   */
  static int replace(PodSpec pod, InterceptTarget target, AgentSpec agent, List<EnvVar> workloadEnv)
      throws DevproxyException {
    List<Container> containers = pod.getContainers();
    Container app = PodTemplates.find(containers, target.container());
    if (app == null) {
      throw PodTemplates.userError(target, "has no container '" + target.container() + "' any more");
    }
    AgentContainer.checkFits(pod, target, agent);
    int port = target.containerPort();
    if (port == agent.tunnelPort() || port == agent.adminPort()) {
      throw PodTemplates.userError(target, "serves port " + port + " which the agent needs for itself;"
          + " choose other agent ports");
    }
    if (app.getVolumeMounts() != null
        && app.getVolumeMounts().stream().anyMatch(m -> Objects.equals(AgentContainer.TLS_DIR, m.getMountPath()))) {
      throw PodTemplates.userError(target, "mounts a volume at " + AgentContainer.TLS_DIR
          + " in container '" + app.getName() + "', where the agent's certificate goes; use --mode sidecar");
    }
    Set<String> usedNames = PodTemplates.declaredPorts(pod).map(p -> p.getName()).filter(Objects::nonNull)
        .collect(Collectors.toSet());
    int index = containers.indexOf(app);
    containers.set(index, AgentContainer.replacing(app, agent, workloadEnv, port, usedNames));
    List<Volume> volumes = pod.getVolumes() == null ? new ArrayList<>() : new ArrayList<>(pod.getVolumes());
    volumes.add(AgentContainer.tlsVolume(agent));
    pod.setVolumes(volumes);
    return index;
  }
}

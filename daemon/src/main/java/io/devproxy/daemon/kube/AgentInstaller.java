package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.WorkloadWrites.Kind;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Puts the traffic agent in front of an intercepted port in any {@link InterceptMode}, and takes it out again:
 * the one entry point over {@link SidecarInstaller}, {@link SwapInstaller} and {@link ShadowInstaller}.
 *
 * <p>Sharing: a workload running the sidecar is shared by every developer who intercepts it in sidecar mode. A
 * swapped workload belongs to the one session that swapped it; any other intercept of it (sidecar or swap) is a
 * USER error naming that session, as is a swap of a workload running the sidecar. Shadow mode never conflicts:
 * it changes nothing of the original.
 *
 * <p>RBAC: the union of the three installers'. Thread-safe. Does not own the client: whoever passed it in closes
 * it.
 */
public final class AgentInstaller {

  private static final Logger log = Logger.getLogger(AgentInstaller.class.getName());

  private final WorkloadWrites writes;
  private final SidecarInstaller sidecar;
  private final SwapInstaller swap;
  private final ShadowInstaller shadow;

  public AgentInstaller(KubernetesClient client) {
    requireNonNull(client, "client");
    this.writes = new WorkloadWrites(client);
    this.sidecar = new SidecarInstaller(client);
    this.swap = new SwapInstaller(client);
    this.shadow = new ShadowInstaller(client);
  }

  /**
   * What {@link #install} left in the cluster, and what {@link #uninstall(Installed)} needs.
   *
   * @param agentWorkloadKind the kind of the workload whose pods run the agent: the target's kind, or
   *     "Deployment" for a shadow
   * @param agentWorkloadName that workload's name: the target's, or the shadow Deployment's; its pods are the
   *     ones to port-forward to
   * @param shadowDeployment the shadow Deployment; null unless {@link InterceptMode#SHADOW}
   * @param shadowService the shadow Service (route header-matched edge traffic there); null unless shadow
   * @param agentPort the in-pod port where the agent serves the intercepted port; -1 when a shared sidecar does
   *     not say
   * @param tunnelPort the in-pod port where daemons connect to the agent, from the {@link AgentSpec} given
   * @param reused whether nothing was written because the agent was already there (a shared sidecar, or this
   *     session's own swap or shadow)
   * @param sessionId the session given to install; may be null
   */
  public record Installed(InterceptMode mode, InterceptTarget target, String agentWorkloadKind,
      String agentWorkloadName, String shadowDeployment, String shadowService, int agentPort, int tunnelPort,
      boolean reused, String sessionId) {

    public Installed {
      requireNonNull(mode, "mode");
      requireNonNull(target, "target");
      requireNonNull(agentWorkloadKind, "agentWorkloadKind");
      requireNonNull(agentWorkloadName, "agentWorkloadName");
    }
  }

  /**
   * The name of the workload whose pods will run the agent, known before {@link #install} so its TLS Secret
   * ({@link AgentSpec#tlsSecretName}) can be made first: the target's workload, or the shadow Deployment.
   *
   * @throws DevproxyException USER when {@code key} cannot name a shadow (shadow mode only)
   */
  public static String agentWorkloadName(InterceptMode mode, InterceptTarget target, String key)
      throws DevproxyException {
    requireNonNull(mode, "mode");
    requireNonNull(target, "target");
    return mode == InterceptMode.SHADOW ? ShadowInjection.names(target, key).deployment() : target.workloadName();
  }

  /**
   * Installs the agent for {@code target} in {@code mode}.
   *
   * @param agent the agent container; its TLS Secret should be named after
   *     {@link #agentWorkloadName(InterceptMode, InterceptTarget, String)}
   * @param key the developer's session key (names the shadow objects; unused by sidecar and swap)
   * @param sessionId recorded by swap and shadow, so others see who holds the workload and leftovers can be
   *     collected; may be null (unused by sidecar)
   * @throws DevproxyException USER for a target or mode that cannot be used as asked (the message names the
   *     other mode or the command to run), CLUSTER when the API refuses (the message says what was rolled back)
   */
  public Installed install(InterceptMode mode, InterceptTarget target, AgentSpec agent, String key,
      String sessionId) throws DevproxyException {
    requireNonNull(mode, "mode");
    requireNonNull(target, "target");
    requireNonNull(agent, "agent");
    return switch (mode) {
      case SIDECAR -> {
        SidecarInstaller.Installed i = sidecar.install(target, agent);
        yield new Installed(mode, target, target.workloadKind(), target.workloadName(), null, null, i.agentPort(),
            agent.tunnelPort(), i.reused(), sessionId);
      }
      case SWAP -> {
        SwapInstaller.Installed i = swap.install(target, agent, sessionId);
        yield new Installed(mode, target, target.workloadKind(), target.workloadName(), null, null, i.agentPort(),
            agent.tunnelPort(), i.reused(), sessionId);
      }
      case SHADOW -> {
        ShadowInstaller.Installed i = shadow.install(target, agent, key, sessionId);
        yield new Installed(mode, target, Workload.DEPLOYMENT, i.deployment(), i.deployment(), i.service(),
            i.agentPort(), agent.tunnelPort(), i.reused(), sessionId);
      }
    };
  }

  /** Takes out what {@code installed} describes; see {@link #uninstall(InterceptMode, InterceptTarget, String, String)}. */
  public void uninstall(Installed installed) throws DevproxyException {
    requireNonNull(installed, "installed");
    InterceptTarget target = installed.target();
    switch (installed.mode()) {
      case SIDECAR -> uninstallSidecar(target);
      case SWAP -> swap.uninstall(target.namespace(), target.workloadKind(), target.workloadName(),
          installed.sessionId());
      case SHADOW -> shadow.uninstall(target.namespace(), installed.shadowDeployment(), installed.shadowService());
    }
  }

  /**
   * Takes the agent out, from the names alone (after a daemon restart). Idempotent. SIDECAR restores the
   * workload and Service for every developer sharing the agent, so call it when the last session leaves; it
   * leaves a swapped workload alone. SWAP puts the original container back when the workload is swapped for
   * {@code sessionId} (any session when null). SHADOW deletes the shadow Service and Deployment named after
   * {@code target} and {@code key}.
   *
   * @throws DevproxyException CLUSTER when the API refuses a read or write; USER for a key that names no shadow
   */
  public void uninstall(InterceptMode mode, InterceptTarget target, String key, String sessionId)
      throws DevproxyException {
    requireNonNull(mode, "mode");
    requireNonNull(target, "target");
    switch (mode) {
      case SIDECAR -> uninstallSidecar(target);
      case SWAP -> swap.uninstall(target.namespace(), target.workloadKind(), target.workloadName(), sessionId);
      case SHADOW -> {
        ShadowInjection.Names names = ShadowInjection.names(target, key);
        shadow.uninstall(target.namespace(), names.deployment(), names.service());
      }
    }
  }

  /**
   * Takes out what one session put in, from what its daemon saved (no {@link InterceptTarget} needed).
   * Idempotent. For SIDECAR, call it only when no other session uses the agent.
   *
   * @param workloadKind the intercepted workload's kind ("Deployment" or "StatefulSet")
   * @param workloadName the intercepted workload
   * @param shadowDeployment the shadow Deployment (SHADOW), else ignored
   * @param shadowService the shadow Service (SHADOW), else ignored
   */
  public void uninstall(InterceptMode mode, String namespace, String workloadKind, String workloadName,
      String shadowDeployment, String shadowService, String sessionId) throws DevproxyException {
    requireNonNull(mode, "mode");
    switch (mode) {
      case SIDECAR -> {
        HasMetadata workload = writes.get(Kind.of(workloadKind, mode), namespace, workloadName);
        if (workload != null && SwapInjection.isSwapped(workload)) {
          log.info(() -> "[" + namespace + "/" + workloadKind + "/" + workloadName
              + "] is swapped by another session now; sidecar leave changes nothing");
          return;
        }
        sidecar.uninstall(namespace, workloadKind, workloadName);
      }
      case SWAP -> swap.uninstall(namespace, workloadKind, workloadName, sessionId);
      case SHADOW -> shadow.uninstall(namespace, emptyToNull(shadowDeployment), emptyToNull(shadowService));
    }
  }

  /**
   * Cleans up after a session that ended without leave (its Lease expired): its shadow objects, its swap, and
   * the sidecar of {@code workloadKind/workloadName} when {@code lastSession} says no live session uses it.
   *
   * @param workloadKind the kind of the workload whose pods ran the session's agent (a shadow's is Deployment)
   * @param workloadName that workload
   * @return what was restored or deleted, one phrase each (e.g. {@code restored deployment/orders})
   */
  public List<String> collect(String namespace, String workloadKind, String workloadName, String sessionId,
      boolean lastSession) throws DevproxyException {
    List<String> changes = new ArrayList<>();
    int shadows = shadow.uninstallSession(namespace, sessionId);
    if (shadows > 0) {
      changes.add("deleted " + shadows + " shadow object(s) of session " + sessionId);
    }
    Kind kind;
    try {
      kind = Kind.of(workloadKind, InterceptMode.SIDECAR);
    } catch (DevproxyException e) {
      return changes;
    }
    HasMetadata workload = writes.get(kind, namespace, workloadName);
    if (workload == null || ShadowInjection.isShadow(workload)) {
      return changes;
    }
    String what = workloadKind.toLowerCase(Locale.ROOT) + "/" + workloadName;
    if (SwapInjection.isSwapped(workload)) {
      if (sessionId.equals(SwapInjection.session(workload))) {
        swap.uninstall(namespace, workloadKind, workloadName, sessionId);
        changes.add("restored " + what + " (swap of session " + sessionId + ")");
      }
    } else if (lastSession && SidecarInjection.isInjected(workload)) {
      sidecar.uninstall(namespace, workloadKind, workloadName);
      changes.add("restored " + what);
    }
    return changes;
  }

  /** Whether the workload's pod template runs the agent. */
  public boolean hasAgent(String namespace, String workloadKind, String workloadName) throws DevproxyException {
    HasMetadata workload = writes.get(Kind.of(workloadKind, InterceptMode.SIDECAR), namespace, workloadName);
    return workload != null && PodTemplates.podSpec(workload).getContainers().stream()
        .anyMatch(c -> AgentContainer.NAME.equals(c.getName()));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private void uninstallSidecar(InterceptTarget target) throws DevproxyException {
    HasMetadata workload = writes.get(Kind.of(target.workloadKind(), InterceptMode.SIDECAR), target.namespace(),
        target.workloadName());
    if (workload != null && SwapInjection.isSwapped(workload)) {
      log.info(() -> target.logPrefix() + " is swapped by another session now; sidecar leave changes nothing");
      return;
    }
    sidecar.uninstall(target.namespace(), target.workloadKind(), target.workloadName());
  }
}

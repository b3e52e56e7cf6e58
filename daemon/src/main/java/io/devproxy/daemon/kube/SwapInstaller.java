package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.WorkloadWrites.Conflict;
import io.devproxy.daemon.kube.WorkloadWrites.Kind;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * Writes a {@link SwapInjection} plan to the cluster, and takes it back out.
 *
 * <p>Only the workload is written (the agent keeps the app's port name and number, so the Service stays as it
 * is): one update carrying the resourceVersion that was read, so there is no partial state to roll back. After a
 * 409 the plan is made once more on the fresh object. Does not wait for the rollout and does not create the TLS
 * Secret.
 *
 * <p>RBAC in the namespace: get and update on {@code deployments.apps} (or {@code statefulsets.apps}). Thread-safe.
 * Does not own the client: whoever passed it in closes it.
 */
public final class SwapInstaller {

  private static final Logger log = Logger.getLogger(SwapInstaller.class.getName());

  private final WorkloadWrites writes;

  public SwapInstaller(KubernetesClient client) {
    this.writes = new WorkloadWrites(requireNonNull(client, "client"));
  }

  /**
   * What {@link #install} left in the cluster.
   *
   * @param reused whether this session had already swapped the workload, so nothing was written
   * @param agentPort the in-pod port the agent serves the intercepted port on (the container port)
   */
  public record Installed(InterceptTarget target, boolean reused, int agentPort) {}

  /**
   * Replaces the target container by the agent.
   *
   * @param sessionId recorded in the workload's restore annotation, so another developer is told who holds it;
   *     may be null (then even the same caller cannot reuse the swap)
   * @throws DevproxyException USER when the workload is gone, already has the agent (as a sidecar, or swapped by
   *     another session) or cannot take it; CLUSTER when the API refuses the write
   */
  public Installed install(InterceptTarget target, AgentSpec agent, String sessionId) throws DevproxyException {
    requireNonNull(target, "target");
    requireNonNull(agent, "agent");
    Kind kind = Kind.of(target.workloadKind(), InterceptMode.SWAP);
    try {
      return attempt(kind, target, agent, sessionId);
    } catch (Conflict first) {
      log.fine(() -> target.logPrefix() + " changed while swapping; planning again on the fresh object");
      try {
        return attempt(kind, target, agent, sessionId);
      } catch (Conflict second) {
        throw new DevproxyException(ErrorCategory.CLUSTER, kind.name + " '" + target.workloadName() + "' in namespace '"
            + target.namespace() + "' kept changing while devproxy swapped in the agent; nothing was changed, try again",
            second.getCause());
      }
    }
  }

  /**
   * Puts the original container back, from the workload's {@value RestoreRecord#ANNOTATION} annotation.
   * Idempotent: a missing workload, or one that is not swapped (never was, restored already, or now runs the
   * sidecar of other developers), is left alone.
   *
   * @param sessionId when not null, a swap recorded for another session is left alone too
   * @throws DevproxyException CLUSTER when the API refuses a read or write
   */
  public void uninstall(String namespace, String workloadKind, String workloadName, String sessionId)
      throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(workloadName, "workloadName");
    Kind kind = Kind.of(workloadKind, InterceptMode.SWAP);
    boolean[] restored = {false};
    writes.restoreRetryingConflict(kind.resource, namespace, () -> {
      HasMetadata fresh = writes.get(kind, namespace, workloadName);
      boolean ours = fresh != null && SwapInjection.isSwapped(fresh)
          && (sessionId == null || Objects.equals(sessionId, SwapInjection.session(fresh)));
      restored[0] = ours;
      return ours ? fresh : null;
    }, kind::restore);
    if (restored[0]) {
      log.info(() -> "[" + namespace + "/" + workloadName + "] devproxy agent swapped out, original container back");
    }
  }

  private Installed attempt(Kind kind, InterceptTarget target, AgentSpec agent, String sessionId)
      throws DevproxyException {
    String ns = target.namespace();
    HasMetadata current = writes.get(kind, ns, target.workloadName());
    if (current == null) {
      throw new DevproxyException(ErrorCategory.USER, kind.name + " '" + target.workloadName() + "' not found in"
          + " namespace '" + ns + "' any more; run the intercept again");
    }
    SwapInjection.Plan<? extends HasMetadata> plan = kind == Kind.DEPLOYMENT
        ? SwapInjection.plan((Deployment) current, target, agent, sessionId)
        : SwapInjection.plan((StatefulSet) current, target, agent, sessionId);
    if (plan.reuse()) {
      log.info(() -> target.logPrefix() + " already swapped for this session; reusing it");
      return new Installed(target, true, plan.agentPort());
    }
    writes.update(plan.workload(), kind.resource, ns);
    log.info(target.logPrefix() + " container '" + target.container() + "' swapped for the devproxy agent (port "
        + plan.agentPort() + ")");
    return new Installed(target, false, plan.agentPort());
  }
}

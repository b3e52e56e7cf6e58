package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.kube.WorkloadWrites.Conflict;
import io.devproxy.daemon.kube.WorkloadWrites.Kind;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writes a {@link SidecarInjection} plan to the cluster, and takes it back out.
 *
 * <p>Order: the workload first, then the Service. For a numeric targetPort, the Service must only send traffic
 * to the agent's port once pods serve it; the other way round every current pod would refuse connections on
 * that port until the rollout ends. On uninstall the order is reversed for the same reason (the app's port is
 * served by old and new pods alike). Writes are updates carrying the resourceVersion that was read, so a
 * concurrent change fails with 409 instead of being overwritten; the plan is then made once more on the fresh
 * object. Does not wait for rollouts and does not read or create the TLS Secret.
 *
 * <p>RBAC in the namespace: get and update on {@code deployments.apps} (or {@code statefulsets.apps}) and on
 * {@code services}. Thread-safe. Does not own the client: whoever passed it in closes it.
 */
public final class SidecarInstaller {

  private static final Logger log = Logger.getLogger(SidecarInstaller.class.getName());

  private final WorkloadWrites writes;

  public SidecarInstaller(KubernetesClient client) {
    this.writes = new WorkloadWrites(requireNonNull(client, "client"));
  }

  /**
   * What {@link #install} left in the cluster.
   *
   * @param target the intercept target
   * @param reused whether the workload already had the agent, so nothing was written
   * @param agentPort the in-pod port where the agent serves the Service port; -1 if unknown on reuse
   */
  public record Installed(InterceptTarget target, boolean reused, int agentPort) {}

  /**
   * Injects the agent into the target's workload and, for a numeric targetPort, points the Service at it.
   * Needs get and update on the workload's resource and on services.
   *
   * @throws DevproxyException USER when the workload or Service is gone or cannot take the agent (a swapped
   *     workload included); CLUSTER when the API refuses a write (the message says whether the workload was
   *     restored)
   */
  public Installed install(InterceptTarget target, AgentSpec agent) throws DevproxyException {
    requireNonNull(target, "target");
    requireNonNull(agent, "agent");
    Kind kind = Kind.of(target.workloadKind(), InterceptMode.SIDECAR);
    try {
      return attempt(kind, target, agent);
    } catch (Conflict first) {
      log.fine(() -> target.logPrefix() + " changed while injecting; planning again on the fresh object");
      try {
        return attempt(kind, target, agent);
      } catch (Conflict second) {
        throw new DevproxyException(ErrorCategory.CLUSTER, kind.name + " '" + target.workloadName() + "' in namespace '"
            + target.namespace() + "' kept changing while devproxy injected the agent; nothing was changed, try again",
            second.getCause());
      }
    }
  }

  /**
   * Restores the workload and its Service from their {@value RestoreRecord#ANNOTATION} annotations: the Service
   * first, then the workload. Also takes back a swap ({@link SwapInstaller}), whose record has the same shape.
   * Idempotent: a missing object or annotation means nothing to do. Needs get and update on the workload's
   * resource and on services.
   *
   * @param workloadKind "Deployment" or "StatefulSet"
   * @throws DevproxyException CLUSTER when the API refuses a read or write
   */
  public void uninstall(String namespace, String workloadKind, String workloadName) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(workloadName, "workloadName");
    Kind kind = Kind.of(workloadKind, InterceptMode.SIDECAR);
    HasMetadata workload = writes.get(kind, namespace, workloadName);
    String serviceName = workload == null ? null : SidecarInjection.interceptedService(workload);
    if (serviceName == null) {
      return;
    }
    Service service = writes.service(namespace, serviceName);
    if (service != null && SidecarInjection.isInjected(service)) {
      writes.restoreRetryingConflict("services", namespace, () -> writes.service(namespace, serviceName),
          SidecarInjection::restore);
    }
    writes.restoreWorkload(kind, namespace, workloadName);
    log.info(() -> "[" + namespace + "/" + workloadName + "] devproxy agent removed, workload and service '"
        + serviceName + "' restored");
  }

  private Installed attempt(Kind kind, InterceptTarget target, AgentSpec agent) throws DevproxyException {
    String ns = target.namespace();
    HasMetadata current = writes.get(kind, ns, target.workloadName());
    if (current == null) {
      throw new DevproxyException(ErrorCategory.USER, kind.name + " '" + target.workloadName() + "' not found in"
          + " namespace '" + ns + "' any more; run the intercept again");
    }
    Service service = writes.service(ns, target.service());
    if (service == null) {
      throw new DevproxyException(ErrorCategory.USER, "service '" + target.service() + "' not found in namespace '"
          + ns + "' any more; run the intercept again");
    }
    SidecarInjection.Plan<? extends HasMetadata> plan = kind == Kind.DEPLOYMENT
        ? SidecarInjection.plan((Deployment) current, service, target, agent)
        : SidecarInjection.plan((StatefulSet) current, service, target, agent);
    if (plan.reuse()) {
      log.info(() -> target.logPrefix() + " already has the devproxy agent; reusing it");
      return new Installed(target, true, plan.agentPort());
    }
    if (plan.workloadChanged()) {
      writes.update(plan.workload(), kind.resource, ns);
    }
    if (plan.serviceChanged()) {
      try {
        writeService(plan.service(), target, plan.agentPort());
      } catch (DevproxyException | Conflict e) {
        throw rollback(kind, target, e instanceof DevproxyException d ? d : new DevproxyException(ErrorCategory.CLUSTER,
            "service '" + target.service() + "' kept changing", e));
      }
    }
    log.info(target.logPrefix() + " devproxy agent injected (agent port " + plan.agentPort() + ")");
    return new Installed(target, false, plan.agentPort());
  }

  /** Writes the retargeted Service, planning it once more on the fresh Service after a 409. */
  private void writeService(Service planned, InterceptTarget target, int agentPort) throws DevproxyException {
    String ns = target.namespace();
    try {
      writes.update(planned, "services", ns);
    } catch (Conflict c) {
      Service fresh = writes.service(ns, target.service());
      if (fresh == null) {
        throw new DevproxyException(ErrorCategory.USER, "service '" + target.service() + "' was deleted meanwhile");
      }
      Service again = SidecarInjection.retarget(fresh, target, agentPort);
      if (again != fresh) {
        writes.update(again, "services", ns);
      }
    }
  }

  private DevproxyException rollback(Kind kind, InterceptTarget target, DevproxyException failure) {
    String what = failure.getMessage();
    try {
      writes.restoreWorkload(kind, target.namespace(), target.workloadName());
      return new DevproxyException(failure.category(), what + "; " + kind.name + " '" + target.workloadName()
          + "' was restored to its original spec", failure);
    } catch (DevproxyException | RuntimeException e) {
      log.log(Level.WARNING, target.logPrefix() + " rollback failed: " + e.getMessage());
      return new DevproxyException(ErrorCategory.CLUSTER, what + "; restoring " + kind.name + " '"
          + target.workloadName() + "' failed too (" + e.getMessage() + "); run 'devproxy uninstall' to restore it",
          failure);
    }
  }
}

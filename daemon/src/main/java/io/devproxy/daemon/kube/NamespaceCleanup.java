package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.ambassador.EdgeRoutes;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code devproxy uninstall}: takes devproxy out of a namespace whoever put it there, for the Service named or
 * for everything. Workloads and Services are restored from their restore records (sidecar and swap alike),
 * shadow Deployments and Services deleted, and the agents' TLS Secrets and the session Leases of what was
 * removed deleted. Other developers' sessions on what is removed end; their daemons report the lost agent.
 *
 * <p>Touches only objects labelled {@code app.kubernetes.io/managed-by: devproxy}. Idempotent. Thread-safe;
 * does not own the client.
 *
 * <p>Also deletes devproxy's Ambassador header routes (all of them, or the sessions of what goes).
 *
 * <p>RBAC: list, get, update on deployments.apps, statefulsets.apps and services; delete on the shadow
 * Deployments and Services, on secrets and on leases.coordination.k8s.io.
 */
final class NamespaceCleanup {

  private final KubernetesClient client;

  NamespaceCleanup(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * @param service the Service whose agent goes; null for everything devproxy did in the namespace
   * @return one line per object restored or deleted, e.g. {@code restored deployment/orders}
   * @throws DevproxyException USER when {@code service} does not exist or selects no workload; CLUSTER when the
   *     API refuses
   */
  List<String> uninstall(String namespace, String service) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    List<String> changes = new ArrayList<>();
    String workload = null;
    if (service != null) {
      Service svc = KubeCalls.call("get", "services", namespace,
          () -> client.services().inNamespace(namespace).withName(service).get());
      if (svc == null) {
        throw new DevproxyException(ErrorCategory.USER, "service '" + service + "' not found in namespace '"
            + namespace + "'; 'devproxy list' shows the Services");
      }
      workload = TargetResolver.workloadOf(svc, Workloads.list(client, namespace)).name();
    }
    // The agents' workloads: the intercepted ones and their shadows, whose Secrets and Leases go too.
    Set<String> agentWorkloads = new HashSet<>();

    if (service == null) {
      for (String route : new EdgeRoutes(client).deleteLabelled(namespace, null)) {
        changes.add("deleted " + route);
      }
    }
    ShadowInstaller shadows = new ShadowInstaller(client);
    List<Deployment> deployments = KubeCalls.call("list", "deployments.apps", namespace, () -> client.apps()
        .deployments().inNamespace(namespace).withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY).list()
        .getItems());
    for (Deployment d : deployments) {
      if (ShadowInjection.isShadow(d)
          && (workload == null || workload.equals(Metadata.annotation(d, ShadowInjection.SHADOW_OF)))) {
        String name = d.getMetadata().getName();
        for (Service s : shadowServices(namespace, d)) {
          shadows.uninstall(namespace, null, s.getMetadata().getName());
          changes.add("deleted service/" + s.getMetadata().getName());
        }
        shadows.uninstall(namespace, name, null);
        changes.add("deleted deployment/" + name);
        agentWorkloads.add(Workload.DEPLOYMENT + "/" + name);
      }
    }
    SidecarInstaller installer = new SidecarInstaller(client);
    for (Deployment d : deployments) {
      restore(installer, namespace, Workload.DEPLOYMENT, d, workload, changes, agentWorkloads);
    }
    for (StatefulSet s : KubeCalls.call("list", "statefulsets.apps", namespace, () -> client.apps()
        .statefulSets().inNamespace(namespace).withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY).list()
        .getItems())) {
      restore(installer, namespace, Workload.STATEFUL_SET, s, workload, changes, agentWorkloads);
    }
    if (service == null) {
      // A Service retargeted at an agent whose workload is gone: put its targetPort back.
      for (Service s : KubeCalls.call("list", "services", namespace, () -> client.services()
          .inNamespace(namespace).withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY).list().getItems())) {
        if (SidecarInjection.isInjected(s) && !ShadowInjection.isShadow(s)) {
          KubeCalls.call("update", "services", namespace,
              () -> client.services().inNamespace(namespace).resource(SidecarInjection.restore(s)).update());
          changes.add("restored service/" + s.getMetadata().getName());
        }
      }
    }
    if (workload != null) {
      agentWorkloads.add(Workload.DEPLOYMENT + "/" + workload);
      agentWorkloads.add(Workload.STATEFUL_SET + "/" + workload);
    }
    for (Secret secret : KubeCalls.call("list", "secrets", namespace, () -> client.secrets().inNamespace(namespace)
        .withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY).list().getItems())) {
      String name = secret.getMetadata().getName();
      boolean ours = agentWorkloads.stream()
          .anyMatch(w -> name.equals(AgentSpec.tlsSecretName(w.substring(w.indexOf('/') + 1))));
      if (service == null || ours) {
        KubeCalls.call("delete", "secrets", namespace,
            () -> client.secrets().inNamespace(namespace).withName(name).delete());
        changes.add("deleted secret/" + name);
      }
    }
    for (Lease lease : KubeCalls.call("list", "leases.coordination.k8s.io", namespace, () -> client.leases()
        .inNamespace(namespace).withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY).list().getItems())) {
      String name = lease.getMetadata().getName();
      if (service == null || agentWorkloads.contains(Metadata.annotation(lease, SessionLeases.WORKLOAD_ANNOTATION))) {
        String session = Metadata.label(lease, SessionLeases.SESSION_LABEL);
        if (service != null && session != null) {
          for (String route : new EdgeRoutes(client).deleteLabelled(namespace, session)) {
            changes.add("deleted " + route);
          }
        }
        KubeCalls.call("delete", "leases.coordination.k8s.io", namespace,
            () -> client.leases().inNamespace(namespace).withName(name).delete());
        changes.add("deleted lease/" + name);
      }
    }
    return changes;
  }

  private void restore(SidecarInstaller installer, String namespace, String kind, HasMetadata object,
      String workload, List<String> changes, Set<String> agentWorkloads) throws DevproxyException {
    String name = object.getMetadata().getName();
    if (ShadowInjection.isShadow(object) || !SidecarInjection.isInjected(object)
        || (workload != null && !workload.equals(name))) {
      return;
    }
    installer.uninstall(namespace, kind, name);
    changes.add("restored " + KubeProvisioner.kindName(kind, name));
    agentWorkloads.add(kind + "/" + name);
  }

  private List<Service> shadowServices(String namespace, Deployment shadow) throws DevproxyException {
    String name = shadow.getMetadata().getName();
    List<Service> result = new ArrayList<>();
    for (Service s : KubeCalls.call("list", "services", namespace, () -> client.services().inNamespace(namespace)
        .withLabel(ShadowInjection.SHADOW_LABEL).list().getItems())) {
      Map<String, String> selector = s.getSpec() == null ? null : s.getSpec().getSelector();
      if (selector != null && name.equals(selector.get(ShadowInjection.SHADOW_LABEL))) {
        result.add(s);
      }
    }
    return result;
  }

}

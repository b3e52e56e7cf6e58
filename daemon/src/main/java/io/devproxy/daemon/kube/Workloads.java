package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Lists the workloads a Service may select in one namespace. */
final class Workloads {

  private Workloads() {}

  /**
   * Deployments, then StatefulSets, then ReplicaSets that no Deployment owns (a Deployment's ReplicaSets
   * are the Deployment's pods, counted once), each kind sorted by name. Needs list on deployments,
   * statefulsets and replicasets (apps).
   */
  static List<Workload> list(KubernetesClient client, String namespace) throws DevproxyException {
    List<Workload> result = new ArrayList<>();
    List<Deployment> deployments = KubeCalls.call("list", "deployments.apps", namespace,
        () -> client.apps().deployments().inNamespace(namespace).list().getItems());
    for (Deployment d : sorted(deployments)) {
      if (ShadowInjection.isShadow(d)) {
        continue; // a developer's copy: intercept the original
      }
      // What the developer sees and means is the app as it was before devproxy put the agent in.
      Deployment original = SidecarInjection.isInjected(d) ? SidecarInjection.restore(d) : d;
      result.add(workload(Workload.DEPLOYMENT, d, original.getSpec() == null ? null
          : original.getSpec().getTemplate()));
    }
    List<StatefulSet> statefulSets = KubeCalls.call("list", "statefulsets.apps", namespace,
        () -> client.apps().statefulSets().inNamespace(namespace).list().getItems());
    for (StatefulSet s : sorted(statefulSets)) {
      StatefulSet original = SidecarInjection.isInjected(s) ? SidecarInjection.restore(s) : s;
      result.add(workload(Workload.STATEFUL_SET, s, original.getSpec() == null ? null
          : original.getSpec().getTemplate()));
    }
    List<ReplicaSet> replicaSets = KubeCalls.call("list", "replicasets.apps", namespace,
        () -> client.apps().replicaSets().inNamespace(namespace).list().getItems());
    for (ReplicaSet r : sorted(replicaSets)) {
      if (!ownedByDeployment(r)) {
        result.add(workload(Workload.REPLICA_SET, r, r.getSpec() == null ? null : r.getSpec().getTemplate()));
      }
    }
    return result;
  }

  /** The workloads in {@code all} whose pods {@code selector} selects, in {@code all}'s order. */
  static List<Workload> matching(List<Workload> all, Map<String, String> selector) {
    return all.stream().filter(w -> w.matches(selector)).toList();
  }

  private static <T extends HasMetadata> List<T> sorted(List<T> items) {
    return items.stream().sorted(Comparator.comparing(i -> i.getMetadata().getName())).toList();
  }

  private static Workload workload(String kind, HasMetadata object, PodTemplateSpec template) {
    Map<String, String> labels = template == null || template.getMetadata() == null
        ? Map.of() : template.getMetadata().getLabels();
    return new Workload(kind, object.getMetadata().getName(), labels == null ? Map.of() : labels,
        template == null ? null : template.getSpec());
  }

  private static boolean ownedByDeployment(ReplicaSet r) {
    List<OwnerReference> owners = r.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(o -> Workload.DEPLOYMENT.equals(o.getKind()));
  }
}

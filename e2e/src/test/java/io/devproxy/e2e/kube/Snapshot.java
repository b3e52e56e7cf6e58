package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/**
 * One pass's view of the namespace: its Deployments, ReplicaSets and Pods, listed once at the start of the pass
 * and then kept up to date with the pass's own writes, so the controllers and the kubelet act on the same view and
 * the mock serves three lists per pass. Used by the stand-in's thread only.
 */
final class Snapshot {

  final List<Deployment> deployments;
  final List<ReplicaSet> replicaSets;
  final List<Pod> pods;

  private Snapshot(List<Deployment> deployments, List<ReplicaSet> replicaSets, List<Pod> pods) {
    this.deployments = new ArrayList<>(deployments);
    this.replicaSets = new ArrayList<>(replicaSets);
    this.pods = new ArrayList<>(pods);
  }

  static Snapshot read(KubernetesClient client, String namespace) {
    return new Snapshot(client.apps().deployments().inNamespace(namespace).list().getItems(),
        client.apps().replicaSets().inNamespace(namespace).list().getItems(),
        client.pods().inNamespace(namespace).list().getItems());
  }

  /** Puts {@code object} in place of the object of the same name in {@code list}, or adds it. */
  static <T extends HasMetadata> void put(List<T> list, T object) {
    remove(list, object.getMetadata().getName());
    list.add(object);
  }

  static <T extends HasMetadata> void remove(List<T> list, String name) {
    list.removeIf(o -> o.getMetadata().getName().equals(name));
  }
}

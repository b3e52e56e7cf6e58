package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The ReplicaSet controller, and the garbage collector's part for pods: keeps {@code spec.replicas} pods of every
 * ReplicaSet in the namespace, created from its template, named {@code <replicaset>-<n>} with {@code n} counting up,
 * bound to the stand-in's node and owned by the ReplicaSet. Surplus pods go pending ones first, then not-ready
 * ones, then the newest. Deletes the pods whose owning ReplicaSet is gone, and keeps each ReplicaSet's status.
 *
 * <p>Runs on the stand-in's thread only.
 */
final class ReplicaSetController {

  private static final Logger logger = Logger.getLogger(ReplicaSetController.class.getName());

  private final KubernetesClient client;
  private final String namespace;
  private final KubernetesSerialization json;
  private final Map<String, Long> nextOrdinal = new HashMap<>();
  /** When each pod was created, as a sequence number; read from any thread. */
  private final Map<String, Long> creation = new ConcurrentHashMap<>();
  private long createdCount;

  ReplicaSetController(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    this.json = client.getKubernetesSerialization();
  }

  /** One pass; {@code view} is kept up to date with what it writes. */
  void reconcile(Snapshot view) {
    Set<String> uids = new HashSet<>();
    view.replicaSets.forEach(rs -> uids.add(rs.getMetadata().getUid()));
    Map<String, List<Pod>> owned = new HashMap<>();
    Set<String> names = new HashSet<>();
    for (Pod pod : List.copyOf(view.pods)) {
      names.add(pod.getMetadata().getName());
      String owner = Controllers.controllerUid(pod, "ReplicaSet");
      if (owner == null) {
        continue;
      }
      if (uids.contains(owner)) {
        owned.computeIfAbsent(owner, k -> new ArrayList<>()).add(pod);
      } else {
        delete(pod, "its ReplicaSet is gone", view);
      }
    }
    for (ReplicaSet rs : view.replicaSets) {
      reconcile(rs, new ArrayList<>(owned.getOrDefault(rs.getMetadata().getUid(), List.of())), names, view);
    }
  }

  /** Oldest first among the pods this controller created, then the others by name. Thread-safe. */
  Comparator<Pod> creationOrder() {
    return Comparator.comparingLong((Pod p) -> creation.getOrDefault(p.getMetadata().getName(), Long.MAX_VALUE))
        .thenComparing(p -> p.getMetadata().getName());
  }

  private void reconcile(ReplicaSet rs, List<Pod> pods, Set<String> names, Snapshot view) {
    int want = rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
    for (int i = pods.size(); i < want; i++) {
      create(rs, pods, names, view);
    }
    if (pods.size() > want) {
      List<Pod> victims = new ArrayList<>(pods);
      victims.sort(Comparator.comparing(Controllers::running).thenComparing(Controllers::ready)
          .thenComparing(Controllers.BY_ORDINAL.reversed()));
      List<Pod> surplus = List.copyOf(victims.subList(0, pods.size() - want));
      surplus.forEach(p -> delete(p, "the ReplicaSet scaled down", view));
      pods.removeAll(surplus);
    }
    long ready = pods.stream().filter(Controllers::ready).count();
    ReplicaSetStatus status = new ReplicaSetStatusBuilder()
        .withReplicas(pods.size())
        .withFullyLabeledReplicas(pods.size())
        .withReadyReplicas((int) ready)
        .withAvailableReplicas((int) ready)
        .withObservedGeneration(rs.getMetadata().getGeneration())
        .build();
    if (!json.asJson(status).equals(rs.getStatus() == null ? null : json.asJson(rs.getStatus()))) {
      try {
        client.apps().replicaSets().inNamespace(namespace)
            .resource(new ReplicaSetBuilder(rs).withStatus(status).build()).updateStatus();
      } catch (KubernetesClientException e) {
        logger.log(Level.FINE, prefix(rs.getMetadata().getName()) + " status not written", e);
      }
    }
  }

  private void create(ReplicaSet rs, List<Pod> pods, Set<String> names, Snapshot view) {
    String rsName = rs.getMetadata().getName();
    long n = nextOrdinal.getOrDefault(rsName, 1L);
    for (Pod p : pods) {
      long ordinal = Controllers.ordinal(p);
      if (ordinal != Long.MAX_VALUE) {
        n = Math.max(n, ordinal + 1);
      }
    }
    while (names.contains(rsName + "-" + n)) {
      n++;
    }
    String name = rsName + "-" + n;
    nextOrdinal.put(rsName, n + 1);
    names.add(name);
    PodTemplateSpec template = rs.getSpec().getTemplate();
    Pod pod = new PodBuilder()
        .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .withLabels(template.getMetadata() == null ? null : template.getMetadata().getLabels())
            .withAnnotations(template.getMetadata() == null ? null : template.getMetadata().getAnnotations())
            .withOwnerReferences(Controllers.controllerRef(rs))
        .endMetadata()
        .withSpec(new PodSpecBuilder(template.getSpec()).withNodeName(KubeletStandIn.NODE_NAME).build())
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
    try {
      Pod created = client.pods().inNamespace(namespace).resource(pod).create();
      pods.add(created);
      view.pods.add(created);
      creation.put(name, ++createdCount);
      logger.fine(() -> prefix(name) + " created for ReplicaSet " + rsName);
    } catch (KubernetesClientException e) {
      logger.log(Level.WARNING, prefix(name) + " cannot create the pod: " + e.getMessage());
    }
  }

  private void delete(Pod pod, String why, Snapshot view) {
    String name = pod.getMetadata().getName();
    try {
      client.pods().inNamespace(namespace).withName(name).delete();
      Snapshot.remove(view.pods, name);
      logger.fine(() -> prefix(name) + " deleted: " + why);
    } catch (KubernetesClientException e) {
      logger.log(Level.FINE, prefix(name) + " not deleted", e);
    }
  }

  private String prefix(String name) {
    return "[" + namespace + "/" + name + "]";
  }
}

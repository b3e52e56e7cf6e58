package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Deployment controller, and the garbage collector's part for ReplicaSets: for each Deployment, a ReplicaSet
 * {@code <deployment>-<pod-template-hash>} per pod template, the current one scaled to {@code spec.replicas}.
 *
 * <p>Rollout (RollingUpdate, the default): the new ReplicaSet gets all its replicas at once (a surge); the old ones
 * are scaled to 0 once the new pods are all ready. Pods share the host's network here, so a new pod cannot start
 * while an old pod holds one of its ports (the agent's port, the app's port): the controller then deletes that old
 * pod first, and the rollout becomes a replacement, one pod at a time. Recreate scales the old ReplicaSets to 0 and
 * the new one up once their pods are gone. A deleted Deployment's ReplicaSets are deleted (and their pods with them).
 * The status (replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas, observedGeneration,
 * Available and Progressing conditions) is written through the {@code status} subresource when it changes.
 * {@code minReadySeconds}, {@code maxSurge}, {@code maxUnavailable}, {@code paused} and revision history are not
 * modelled.
 *
 * <p>Runs on the stand-in's thread only.
 */
final class DeploymentController {

  static final String HASH_LABEL = "pod-template-hash";
  private static final Logger logger = Logger.getLogger(DeploymentController.class.getName());
  /** The alphabet Kubernetes renders pod-template-hash values in (no vowels, no look-alikes). */
  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private final KubernetesClient client;
  private final String namespace;
  private final Kubelet kubelet;
  private final KubernetesSerialization json;

  DeploymentController(KubernetesClient client, String namespace, Kubelet kubelet) {
    this.client = client;
    this.namespace = namespace;
    this.kubelet = kubelet;
    this.json = client.getKubernetesSerialization();
  }

  /** One pass; {@code view} is kept up to date with what it writes. */
  void reconcile(Snapshot view) {
    Set<String> uids = new HashSet<>();
    view.deployments.forEach(d -> uids.add(d.getMetadata().getUid()));
    Map<String, List<ReplicaSet>> owned = new HashMap<>();
    for (ReplicaSet rs : List.copyOf(view.replicaSets)) {
      String owner = Controllers.controllerUid(rs, "Deployment");
      if (owner == null) {
        continue;
      }
      if (uids.contains(owner)) {
        owned.computeIfAbsent(owner, k -> new ArrayList<>()).add(rs);
      } else {
        delete(rs, view);
      }
    }
    Map<String, List<Pod>> podsBySet = new HashMap<>();
    for (Pod pod : view.pods) {
      String owner = Controllers.controllerUid(pod, "ReplicaSet");
      if (owner != null) {
        podsBySet.computeIfAbsent(owner, k -> new ArrayList<>()).add(pod);
      }
    }
    for (Deployment d : view.deployments) {
      if (d.getSpec() != null && d.getSpec().getTemplate() != null) {
        reconcile(d, owned.getOrDefault(d.getMetadata().getUid(), List.of()), podsBySet, view);
      }
    }
  }

  /** The pod-template-hash of {@code template}: stable whatever the order of its maps' keys. */
  static String templateHash(KubernetesSerialization json, PodTemplateSpec template) {
    Object canonical = canonical(json.unmarshal(json.asJson(template), Map.class));
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(json.asJson(canonical).getBytes(StandardCharsets.UTF_8));
      StringBuilder hash = new StringBuilder();
      for (int i = 0; i < 10; i++) {
        hash.append(ALPHABET.charAt((digest[i] & 0xff) % ALPHABET.length()));
      }
      return hash.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void reconcile(Deployment d, List<ReplicaSet> sets, Map<String, List<Pod>> podsBySet, Snapshot view) {
    String name = d.getMetadata().getName();
    String hash = templateHash(json, d.getSpec().getTemplate());
    int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    boolean recreate = d.getSpec().getStrategy() != null && "Recreate".equals(d.getSpec().getStrategy().getType());
    ReplicaSet current = null;
    List<ReplicaSet> old = new ArrayList<>();
    for (ReplicaSet rs : sets) {
      if (rs.getMetadata().getName().equals(name + "-" + hash)) {
        current = rs;
      } else {
        old.add(rs);
      }
    }
    int oldPods = old.stream().mapToInt(rs -> pods(rs, podsBySet).size()).sum();
    int want = recreate && oldPods > 0 ? 0 : desired;
    List<Pod> newPods = current == null ? List.of() : pods(current, podsBySet);
    if (current == null) {
      current = create(d, hash, want, view);
    } else if (replicas(current) != want) {
      scale(current, want, view);
    }
    long readyNew = newPods.stream().filter(Controllers::ready).count();
    Map<String, ReplicaSet> podOwner = new HashMap<>();
    for (ReplicaSet rs : old) {
      pods(rs, podsBySet).forEach(p -> podOwner.put(p.getMetadata().getName(), rs));
    }
    if (recreate || readyNew >= desired) {
      old.stream().filter(rs -> replicas(rs) != 0).forEach(rs -> scale(rs, 0, view));
    } else {
      replaceBlockingPods(newPods, podOwner, podsBySet, view);
    }
    writeStatus(d, current, newPods, old, podsBySet, desired);
  }

  /** Deletes the old pods that hold a port a new pod waits for, and scales their ReplicaSets down by as many. */
  private void replaceBlockingPods(List<Pod> newPods, Map<String, ReplicaSet> podOwner,
      Map<String, List<Pod>> podsBySet, Snapshot view) {
    Map<ReplicaSet, Integer> deleted = new HashMap<>();
    Set<String> done = new HashSet<>();
    for (Pod pod : newPods) {
      for (String blocker : kubelet.blockers(pod.getMetadata().getName())) {
        ReplicaSet owner = podOwner.get(blocker);
        if (owner != null && done.add(blocker)) {
          logger.info(() -> "[" + namespace + "/" + blocker + "] deleted: new pod " + pod.getMetadata().getName()
              + " needs its ports (pods share the host's network)");
          deleted.merge(owner, 1, Integer::sum);
          try {
            client.pods().inNamespace(namespace).withName(blocker).delete();
            Snapshot.remove(view.pods, blocker);
          } catch (KubernetesClientException e) {
            logger.log(Level.FINE, "[" + namespace + "/" + blocker + "] not deleted", e);
          }
        }
      }
    }
    deleted.forEach((rs, n) -> scale(rs, Math.max(0, pods(rs, podsBySet).size() - n), view));
  }

  private ReplicaSet create(Deployment d, String hash, int replicas, Snapshot view) {
    PodTemplateSpec template = new PodTemplateSpecBuilder(d.getSpec().getTemplate())
        .editOrNewMetadata().addToLabels(HASH_LABEL, hash).endMetadata().build();
    ReplicaSet rs = new ReplicaSetBuilder()
        .withNewMetadata()
            .withNamespace(namespace)
            .withName(d.getMetadata().getName() + "-" + hash)
            .withLabels(template.getMetadata().getLabels())
            .withOwnerReferences(Controllers.controllerRef(d))
        .endMetadata()
        .withNewSpec()
            .withReplicas(replicas)
            .withSelector((d.getSpec().getSelector() == null
                ? new LabelSelectorBuilder().withMatchLabels(d.getSpec().getTemplate().getMetadata().getLabels())
                : new LabelSelectorBuilder(d.getSpec().getSelector())).addToMatchLabels(HASH_LABEL, hash).build())
            .withTemplate(template)
        .endSpec()
        .build();
    ReplicaSet created = client.apps().replicaSets().inNamespace(namespace).resource(rs).create();
    view.replicaSets.add(created);
    logger.fine(() -> "[" + namespace + "/" + rs.getMetadata().getName() + "] ReplicaSet created with " + replicas
        + " replicas");
    return created;
  }

  private void scale(ReplicaSet rs, int replicas, Snapshot view) {
    try {
      Snapshot.put(view.replicaSets, client.apps().replicaSets().inNamespace(namespace)
          .resource(new ReplicaSetBuilder(rs).editSpec().withReplicas(replicas).endSpec().build()).update());
      logger.fine(() -> "[" + namespace + "/" + rs.getMetadata().getName() + "] scaled to " + replicas);
    } catch (KubernetesClientException e) {
      logger.log(Level.FINE, "[" + namespace + "/" + rs.getMetadata().getName() + "] not scaled", e);
    }
  }

  private void delete(ReplicaSet rs, Snapshot view) {
    try {
      client.apps().replicaSets().inNamespace(namespace).withName(rs.getMetadata().getName()).delete();
      Snapshot.remove(view.replicaSets, rs.getMetadata().getName());
      logger.fine(() -> "[" + namespace + "/" + rs.getMetadata().getName() + "] deleted: its Deployment is gone");
    } catch (KubernetesClientException e) {
      logger.log(Level.FINE, "[" + namespace + "/" + rs.getMetadata().getName() + "] not deleted", e);
    }
  }

  private void writeStatus(Deployment d, ReplicaSet current, List<Pod> newPods, List<ReplicaSet> old,
      Map<String, List<Pod>> podsBySet, int desired) {
    List<Pod> all = new ArrayList<>(newPods);
    old.forEach(rs -> all.addAll(pods(rs, podsBySet)));
    int available = (int) all.stream().filter(Controllers::ready).count();
    boolean complete = newPods.size() == desired && all.size() == desired && available >= desired;
    String rsName = current.getMetadata().getName();
    DeploymentStatus previous = d.getStatus();
    DeploymentStatus status = new DeploymentStatusBuilder()
        .withObservedGeneration(d.getMetadata().getGeneration())
        .withReplicas(all.size())
        .withUpdatedReplicas(newPods.size())
        .withReadyReplicas(available)
        .withAvailableReplicas(available)
        .withUnavailableReplicas(Math.max(0, desired - available))
        .withConditions(
            condition(previous, "Available", available >= desired,
                available >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                available >= desired ? "Deployment has minimum availability."
                    : "Deployment does not have minimum availability."),
            condition(previous, "Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                "ReplicaSet \"" + rsName + "\" " + (complete ? "has successfully progressed." : "is progressing.")))
        .build();
    if (previous != null && json.asJson(status).equals(json.asJson(previous))) {
      return;
    }
    try {
      client.apps().deployments().inNamespace(namespace)
          .resource(new DeploymentBuilder(d).withStatus(status).build()).updateStatus();
    } catch (KubernetesClientException e) {
      logger.log(Level.FINE, "[" + namespace + "/" + d.getMetadata().getName() + "] status not written", e);
    }
  }

  /** A condition that keeps its times from {@code previous} while its status and reason stay the same. */
  private static DeploymentCondition condition(DeploymentStatus previous, String type, boolean status, String reason,
      String message) {
    String value = status ? "True" : "False";
    DeploymentCondition before = previous == null || previous.getConditions() == null ? null
        : previous.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    boolean same = before != null && value.equals(before.getStatus()) && reason.equals(before.getReason());
    String now = Controllers.now();
    return new DeploymentConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(message)
        .withLastTransitionTime(same ? before.getLastTransitionTime() : now)
        .withLastUpdateTime(same ? before.getLastUpdateTime() : now)
        .build();
  }

  private static List<Pod> pods(ReplicaSet rs, Map<String, List<Pod>> podsBySet) {
    return podsBySet.getOrDefault(rs.getMetadata().getUid(), List.of());
  }

  private static int replicas(ReplicaSet rs) {
    return rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
  }

  @SuppressWarnings("unchecked")
  private static Object canonical(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> sorted = new TreeMap<>();
      ((Map<String, Object>) map).forEach((k, v) -> sorted.put(k, canonical(v)));
      return sorted;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(DeploymentController::canonical).toList();
    }
    return value;
  }
}

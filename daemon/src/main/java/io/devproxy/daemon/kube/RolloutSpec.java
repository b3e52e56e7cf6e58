package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What {@link RolloutWatch} needs of a workload, read afresh on every poll.
 *
 * @param uid the workload's uid; null if the server sent none
 * @param replicas {@code spec.replicas}, 1 when unset
 * @param agentImage the image of the template's {@value AgentContainer#NAME} container ("" when it names none);
 *     null when the template has no agent
 * @param paused a Deployment with {@code spec.paused}
 * @param onDelete a StatefulSet with {@code updateStrategy: OnDelete}
 * @param replicaFailure the message of a ReplicaFailure condition the controller set for the current generation
 *     (quota, admission), else null
 */
record RolloutSpec(Kind kind, String name, String uid, LabelSelector selector, int replicas, String agentImage,
    boolean paused, boolean onDelete, String replicaFailure) {

  /** The label the Deployment controller puts on a ReplicaSet's pods; the ReplicaSet is {@code <name>-<hash>}. */
  private static final String POD_TEMPLATE_HASH = "pod-template-hash";

  enum Kind {
    DEPLOYMENT(Workload.DEPLOYMENT, "deployment", "deployments.apps"),
    STATEFUL_SET(Workload.STATEFUL_SET, "statefulset", "statefulsets.apps"),
    REPLICA_SET(Workload.REPLICA_SET, "replicaset", "replicasets.apps");

    final String name;
    /** As kubectl writes it: {@code deployment/orders}. */
    final String display;
    final String resource;

    Kind(String name, String display, String resource) {
      this.name = name;
      this.display = display;
      this.resource = resource;
    }

    static Kind of(String kind) throws DevproxyException {
      requireNonNull(kind, "workloadKind");
      for (Kind k : values()) {
        if (k.name.equals(kind)) {
          return k;
        }
      }
      throw new DevproxyException(ErrorCategory.USER, "cannot wait for the pods of a " + kind
          + "; devproxy intercepts Deployments, StatefulSets and ReplicaSets");
    }
  }

  /** The workload, or null when it does not exist. Needs get on the kind's resource. */
  static RolloutSpec read(KubernetesClient client, Kind kind, String ns, String name) throws DevproxyException {
    return switch (kind) {
      case DEPLOYMENT -> {
        Deployment d = KubeCalls.call("get", kind.resource, ns,
            () -> client.apps().deployments().inNamespace(ns).withName(name).get());
        yield d == null ? null : new RolloutSpec(kind, name, d.getMetadata().getUid(), d.getSpec().getSelector(),
            replicas(d.getSpec().getReplicas()), agentImage(d.getSpec().getTemplate()),
            Boolean.TRUE.equals(d.getSpec().getPaused()), false,
            d.getStatus() == null ? null : replicaFailure(d.getMetadata().getGeneration(),
                d.getStatus().getObservedGeneration(), d.getStatus().getConditions(),
                c -> c.getType(), c -> c.getStatus(), c -> c.getMessage() == null ? c.getReason() : c.getMessage()));
      }
      case STATEFUL_SET -> {
        StatefulSet s = KubeCalls.call("get", kind.resource, ns,
            () -> client.apps().statefulSets().inNamespace(ns).withName(name).get());
        yield s == null ? null : new RolloutSpec(kind, name, s.getMetadata().getUid(), s.getSpec().getSelector(),
            replicas(s.getSpec().getReplicas()), agentImage(s.getSpec().getTemplate()), false,
            s.getSpec().getUpdateStrategy() != null && "OnDelete".equals(s.getSpec().getUpdateStrategy().getType()),
            null);
      }
      case REPLICA_SET -> {
        ReplicaSet r = KubeCalls.call("get", kind.resource, ns,
            () -> client.apps().replicaSets().inNamespace(ns).withName(name).get());
        yield r == null ? null : new RolloutSpec(kind, name, r.getMetadata().getUid(), r.getSpec().getSelector(),
            replicas(r.getSpec().getReplicas()), agentImage(r.getSpec().getTemplate()), false, false,
            r.getStatus() == null ? null : replicaFailure(r.getMetadata().getGeneration(),
                r.getStatus().getObservedGeneration(), r.getStatus().getConditions(),
                c -> c.getType(), c -> c.getStatus(), c -> c.getMessage() == null ? c.getReason() : c.getMessage()));
      }
    };
  }

  /**
   * Whether {@code pod} is this workload's. The label selector alone also finds pods of other workloads whose
   * labels overlap, such as a shadow-mode copy whose labels extend the original's.
   */
  boolean owns(Pod pod) {
    OwnerReference controller = orEmpty(pod.getMetadata().getOwnerReferences()).stream()
        .filter(o -> Boolean.TRUE.equals(o.getController())).findFirst().orElse(null);
    if (controller == null || controller.getName() == null) {
      return false;
    }
    if (kind == Kind.DEPLOYMENT) {
      // A Deployment owns its pods through ReplicaSets named <deployment>-<pod-template-hash>.
      Map<String, String> labels = pod.getMetadata().getLabels();
      String hash = labels == null ? null : labels.get(POD_TEMPLATE_HASH);
      return Workload.REPLICA_SET.equals(controller.getKind()) && hash != null
          && controller.getName().equals(name + "-" + hash);
    }
    return kind.name.equals(controller.getKind()) && (uid != null && controller.getUid() != null
        ? uid.equals(controller.getUid()) : controller.getName().equals(name));
  }

  /** Whether {@code pod} runs the agent of the current template; a pod with an earlier agent image is an old one. */
  boolean runsCurrentAgent(Pod pod) {
    return agentImage != null
        && agent(pod.getSpec()).anyMatch(c -> agentImage.isEmpty() || agentImage.equals(c.getImage()));
  }

  @Override
  public String toString() {
    return kind.display + "/" + name;
  }

  private static <C> String replicaFailure(Long generation, Long observedGeneration, List<C> conditions,
      Function<C, String> type, Function<C, String> status, Function<C, String> message) {
    // A condition from before the controller saw the agent's template says nothing about the new pods.
    if (generation != null && (observedGeneration == null || observedGeneration < generation)) {
      return null;
    }
    return orEmpty(conditions).stream()
        .filter(c -> "ReplicaFailure".equals(type.apply(c)) && "True".equals(status.apply(c)))
        .map(message).findFirst().orElse(null);
  }

  private static int replicas(Integer replicas) {
    return replicas == null ? 1 : replicas;
  }

  private static String agentImage(PodTemplateSpec template) {
    return template == null ? null : agent(template.getSpec())
        .map(c -> c.getImage() == null ? "" : c.getImage()).findFirst().orElse(null);
  }

  // A native sidecar is an init container.
  private static Stream<Container> agent(PodSpec spec) {
    return spec == null ? Stream.empty()
        : Stream.concat(orEmpty(spec.getContainers()).stream(), orEmpty(spec.getInitContainers()).stream())
            .filter(c -> AgentContainer.NAME.equals(c.getName()));
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}

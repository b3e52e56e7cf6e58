package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/** What the controllers read off objects: owners, pod readiness, the order of a ReplicaSet's pods. */
final class Controllers {

  private Controllers() {}

  /** The controlling owner's uid when it is of {@code kind}; null otherwise. */
  static String controllerUid(HasMetadata object, String kind) {
    List<OwnerReference> owners = object.getMetadata().getOwnerReferences();
    if (owners == null) {
      return null;
    }
    return owners.stream().filter(o -> Boolean.TRUE.equals(o.getController()) && kind.equals(o.getKind()))
        .map(OwnerReference::getUid).findFirst().orElse(null);
  }

  /** A controller reference to {@code owner}, as the Deployment and ReplicaSet controllers set it. */
  static OwnerReference controllerRef(HasMetadata owner) {
    return new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind(owner.getKind())
        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
        .withController(true).withBlockOwnerDeletion(true).build();
  }

  static boolean running(Pod pod) {
    return pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
  }

  static boolean ready(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Within one ReplicaSet, oldest first: by the number the ReplicaSet controller appends to pod names. */
  static final Comparator<Pod> BY_ORDINAL = Comparator.comparingLong(Controllers::ordinal)
      .thenComparing(p -> p.getMetadata().getName());

  /** The number after the last {@code -} of the pod's name; {@code Long.MAX_VALUE} if none. */
  static long ordinal(Pod pod) {
    String name = pod.getMetadata().getName();
    try {
      return Long.parseLong(name.substring(name.lastIndexOf('-') + 1));
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  static String now() {
    return ContainerRuntime.time(Instant.now());
  }
}

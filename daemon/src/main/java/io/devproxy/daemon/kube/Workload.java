package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.Map;

/** A pod-owning object a Service can select: its kind, name, pod template labels and pod spec. */
record Workload(String kind, String name, Map<String, String> templateLabels, PodSpec podSpec) {

  static final String DEPLOYMENT = "Deployment";
  static final String STATEFUL_SET = "StatefulSet";
  static final String REPLICA_SET = "ReplicaSet";

  /** Whether pods from this template carry every label of {@code selector}. */
  boolean matches(Map<String, String> selector) {
    return templateLabels != null && !selector.isEmpty()
        && templateLabels.entrySet().containsAll(selector.entrySet());
  }

  @Override
  public String toString() {
    return kind + "/" + name;
  }
}

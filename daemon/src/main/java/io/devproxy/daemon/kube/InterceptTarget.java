package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * What one intercept takes over: the container port behind a Service, and the workload that owns the pods.
 *
 * @param namespace the namespace of the Service and the workload
 * @param service the Service name
 * @param workloadKind "Deployment", "StatefulSet" or "ReplicaSet"
 * @param workloadName the workload's name
 * @param container the container in the pod template that serves the port
 * @param containerPort the port the container listens on, 1-65535
 * @param portName the container port's name in the pod template; null when the port is unnamed or not
 *     declared in the container (Kubernetes lets a numeric targetPort reach an undeclared port)
 * @param servicePort the Service port ({@code spec.ports[].port}); null when the Service lists no ports
 * @param targetPort the Service port's {@code targetPort} as written (a number or a name); null when the
 *     Service lists no ports or leaves targetPort to default to the port
 */
public record InterceptTarget(
    String namespace,
    String service,
    String workloadKind,
    String workloadName,
    String container,
    int containerPort,
    String portName,
    Integer servicePort,
    IntOrString targetPort) {

  public InterceptTarget {
    requireNonNull(namespace, "namespace");
    requireNonNull(service, "service");
    requireNonNull(workloadKind, "workloadKind");
    requireNonNull(workloadName, "workloadName");
    requireNonNull(container, "container");
    if (containerPort < 1 || containerPort > 65535) {
      throw new IllegalArgumentException("containerPort: " + containerPort + " (expected: 1-65535)");
    }
  }

  /** Whether the Service reaches the port by name, so an agent can take it over by renaming ports. */
  public boolean targetPortIsName() {
    return targetPort != null && targetPort.getStrVal() != null;
  }

  /** {@code [namespace/Kind/name]}, the prefix of log lines about this workload. */
  public String logPrefix() {
    return "[" + namespace + "/" + workloadKind + "/" + workloadName + "]";
  }
}

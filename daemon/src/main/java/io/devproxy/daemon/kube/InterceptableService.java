package io.devproxy.daemon.kube;

import java.util.List;

/**
 * One row of {@code devproxy list}: a Service, the workload behind it, and its ports.
 *
 * @param name the Service name
 * @param workloadKind "Deployment", "StatefulSet" or "ReplicaSet"; null when not interceptable
 * @param workloadName the workload's name; null when not interceptable
 * @param ports the Service ports mapped to container ports; for a Service without ports, the containers'
 *     declared ports (with a null {@link PortMapping#servicePort()})
 * @param reason why the Service cannot be intercepted (the message {@code intercept} would give); null when
 *     it can
 */
public record InterceptableService(
    String name, String workloadKind, String workloadName, List<PortMapping> ports, String reason) {

  public InterceptableService {
    ports = List.copyOf(ports);
  }

  public boolean interceptable() {
    return reason == null;
  }

  /**
   * A Service port and the container port behind it.
   *
   * @param servicePort the Service port; null for a Service without ports
   * @param servicePortName the Service port's name; may be null
   * @param container the container serving it; null when it cannot be told without --container
   * @param containerPort the container port; null when a named targetPort matches no container port
   * @param containerPortName the container port's name, or the targetPort name; may be null
   */
  public record PortMapping(Integer servicePort, String servicePortName, String container, Integer containerPort,
      String containerPortName) {}
}

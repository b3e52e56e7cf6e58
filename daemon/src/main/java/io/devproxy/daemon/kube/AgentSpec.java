package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.DaemonConfig;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;

/**
 * How the traffic agent container is run inside an intercepted pod.
 *
 * @param image the agent image reference
 * @param tunnelPort the in-pod port where developers' daemons connect (mTLS gRPC), 1-65535; default 8443
 * @param adminPort the in-pod port serving /healthz and /readyz, 1-65535; default 9901
 * @param resources requests and limits of the agent container
 * @param tlsSecretName the Secret mounted at {@code /etc/devproxy/tls} (server cert, key, client CAs); it may
 *     not exist yet when the agent is injected: the pods wait for it
 * @param imagePullSecrets Secrets added to the pod template's {@code imagePullSecrets} so the agent image can be
 *     pulled (see {@link ImagePullSecrets}); empty for none
 */
public record AgentSpec(String image, int tunnelPort, int adminPort, ResourceRequirements resources,
    String tlsSecretName, List<String> imagePullSecrets) {

  public static final int DEFAULT_TUNNEL_PORT = 8443;
  public static final int DEFAULT_ADMIN_PORT = 9901;

  public AgentSpec {
    requireNonNull(image, "image");
    requireNonNull(resources, "resources");
    requireNonNull(tlsSecretName, "tlsSecretName");
    imagePullSecrets = List.copyOf(requireNonNull(imagePullSecrets, "imagePullSecrets"));
    checkPort(tunnelPort, "tunnelPort");
    checkPort(adminPort, "adminPort");
    if (tunnelPort == adminPort) {
      throw new IllegalArgumentException("adminPort: " + adminPort + " (expected: different from tunnelPort)");
    }
  }

  /** An agent whose pod gets no image pull Secrets. */
  public AgentSpec(String image, int tunnelPort, int adminPort, ResourceRequirements resources,
      String tlsSecretName) {
    this(image, tunnelPort, adminPort, resources, tlsSecretName, List.of());
  }

  /**
   * The defaults for {@code workload}: tunnel port 8443, admin port 9901, {@link #defaultResources()}, Secret
   * {@code devproxy-agent-tls-<workload>}, no image pull Secrets.
   */
  public static AgentSpec defaults(String image, String workload) {
    requireNonNull(workload, "workload");
    return new AgentSpec(image, DEFAULT_TUNNEL_PORT, DEFAULT_ADMIN_PORT, defaultResources(),
        tlsSecretName(workload));
  }

  /** The agent as {@code config} says to run it, for {@code workload}; {@code image} overrides the config's. */
  public static AgentSpec of(DaemonConfig config, String image, String workload) {
    requireNonNull(config, "config");
    return new AgentSpec(image, config.agentTunnelPort(), config.agentAdminPort(), resources(config.agentPod()),
        tlsSecretName(workload), config.agentPod().imagePullSecrets());
  }

  /** {@code devproxy-agent-tls-<workload>}, the Secret holding one workload's agent certificate. */
  public static String tlsSecretName(String workload) {
    return "devproxy-agent-tls-" + requireNonNull(workload, "workload");
  }

  /**
   * The resources of {@link DaemonConfig.AgentPod#DEFAULTS}: requests and a memory limit sized from the agent's
   * measured footprint (docs/AGENT-SIZING.md), no CPU limit, so the agent is not throttled.
   */
  public static ResourceRequirements defaultResources() {
    return resources(DaemonConfig.AgentPod.DEFAULTS);
  }

  /** The requests and limits {@code pod} sets; a null quantity is left out. */
  static ResourceRequirements resources(DaemonConfig.AgentPod pod) {
    ResourceRequirementsBuilder r = new ResourceRequirementsBuilder();
    if (pod.cpuRequest() != null) {
      r.addToRequests("cpu", new Quantity(pod.cpuRequest()));
    }
    if (pod.memoryRequest() != null) {
      r.addToRequests("memory", new Quantity(pod.memoryRequest()));
    }
    if (pod.cpuLimit() != null) {
      r.addToLimits("cpu", new Quantity(pod.cpuLimit()));
    }
    if (pod.memoryLimit() != null) {
      r.addToLimits("memory", new Quantity(pod.memoryLimit()));
    }
    return r.build();
  }

  private static void checkPort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + ": " + port + " (expected: 1-65535)");
    }
  }
}

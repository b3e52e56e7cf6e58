package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;

/**
 * How the traffic agent container is run inside an intercepted pod.
 *
 * @param image the agent image reference
 * @param tunnelPort the in-pod port where developers' daemons connect (mTLS gRPC), 1-65535; default 8443
 * @param adminPort the in-pod port serving /healthz and /readyz, 1-65535; default 9901
 * @param resources requests and limits of the agent container
 * @param tlsSecretName the Secret mounted at {@code /etc/devproxy/tls} (server cert, key, client CAs); it may
 *     not exist yet when the agent is injected: the pods wait for it
 */
public record AgentSpec(String image, int tunnelPort, int adminPort, ResourceRequirements resources,
    String tlsSecretName) {

  public static final int DEFAULT_TUNNEL_PORT = 8443;
  public static final int DEFAULT_ADMIN_PORT = 9901;

  public AgentSpec {
    requireNonNull(image, "image");
    requireNonNull(resources, "resources");
    requireNonNull(tlsSecretName, "tlsSecretName");
    checkPort(tunnelPort, "tunnelPort");
    checkPort(adminPort, "adminPort");
    if (tunnelPort == adminPort) {
      throw new IllegalArgumentException("adminPort: " + adminPort + " (expected: different from tunnelPort)");
    }
  }

  /**
   * The defaults for {@code workload}: tunnel port 8443, admin port 9901, requests cpu 50m / memory 96Mi,
   * limit memory 192Mi, Secret {@code devproxy-agent-tls-<workload>}.
   */
  public static AgentSpec defaults(String image, String workload) {
    requireNonNull(workload, "workload");
    return new AgentSpec(image, DEFAULT_TUNNEL_PORT, DEFAULT_ADMIN_PORT, defaultResources(),
        tlsSecretName(workload));
  }

  /** {@code devproxy-agent-tls-<workload>}, the Secret holding one workload's agent certificate. */
  public static String tlsSecretName(String workload) {
    return "devproxy-agent-tls-" + requireNonNull(workload, "workload");
  }

  /** Requests cpu 50m and memory 96Mi; limit memory 192Mi (no CPU limit, so the agent is not throttled). */
  public static ResourceRequirements defaultResources() {
    return new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("50m"))
        .addToRequests("memory", new Quantity("96Mi"))
        .addToLimits("memory", new Quantity("192Mi"))
        .build();
  }

  private static void checkPort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + ": " + port + " (expected: 1-65535)");
    }
  }
}

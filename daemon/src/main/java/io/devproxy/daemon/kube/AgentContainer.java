package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The traffic agent container and its TLS volume, as injected next to the app container. */
final class AgentContainer {

  static final String NAME = "devproxy-agent";
  static final String TLS_VOLUME = "devproxy-agent-tls";
  static final String TLS_DIR = "/etc/devproxy/tls";
  static final String LISTEN_ENV = "DEVPROXY_LISTEN";
  /** Non-root user of the distroless "nonroot" images. */
  static final long RUN_AS_USER = 65532L;

  private AgentContainer() {}

  /**
   * @param listenPortName the name the agent's service port takes over from the app; null to leave it unnamed
   * @param listenPort the port the agent serves the Service on
   * @param app {@code host:port} of the app for unmatched traffic
   * @param appProtocol auto, http1 or h2c
   * @param usedPortNames port names already in the pod: the agent's tunnel and admin ports stay unnamed
   *     rather than clash with one
   */
  static Container container(AgentSpec agent, String listenPortName, int listenPort, String app, String appProtocol,
      Set<String> usedPortNames) {
    List<io.fabric8.kubernetes.api.model.ContainerPort> ports = new ArrayList<>();
    ports.add(new ContainerPortBuilder().withName(listenPortName).withContainerPort(listenPort)
        .withProtocol("TCP").build());
    ports.add(new ContainerPortBuilder().withName(usedPortNames.contains("devproxy-tunnel") ? null : "devproxy-tunnel")
        .withContainerPort(agent.tunnelPort()).withProtocol("TCP").build());
    ports.add(new ContainerPortBuilder().withName(usedPortNames.contains("devproxy-admin") ? null : "devproxy-admin")
        .withContainerPort(agent.adminPort()).withProtocol("TCP").build());
    return new ContainerBuilder()
        .withName(NAME)
        .withImage(agent.image())
        .withPorts(ports)
        .withEnv(
            new EnvVar(LISTEN_ENV, "0.0.0.0:" + listenPort, null),
            new EnvVar("DEVPROXY_TUNNEL_LISTEN", "0.0.0.0:" + agent.tunnelPort(), null),
            new EnvVar("DEVPROXY_ADMIN_LISTEN", "0.0.0.0:" + agent.adminPort(), null),
            new EnvVar("DEVPROXY_TLS_DIR", TLS_DIR, null),
            new EnvVar("DEVPROXY_APP", app, null),
            new EnvVar("DEVPROXY_APP_PROTOCOL", appProtocol, null))
        .addNewVolumeMount().withName(TLS_VOLUME).withMountPath(TLS_DIR).withReadOnly(true).endVolumeMount()
        .withNewReadinessProbe()
            .withNewHttpGet().withPath("/readyz").withPort(new IntOrString(agent.adminPort())).endHttpGet()
            .withPeriodSeconds(2).withFailureThreshold(3)
        .endReadinessProbe()
        .withResources(new ResourceRequirementsBuilder(agent.resources()).build())
        .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(RUN_AS_USER)
            .withReadOnlyRootFilesystem(true)
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities().withDrop("ALL").endCapabilities()
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .endSecurityContext()
        .build();
  }

  /** The Secret volume with the agent's certificate; not optional, so pods wait until the Secret exists. */
  static Volume tlsVolume(AgentSpec agent) {
    return new VolumeBuilder().withName(TLS_VOLUME)
        .withNewSecret().withSecretName(agent.tlsSecretName()).endSecret().build();
  }

  /** The port the agent in {@code agent} serves the Service on, from its {@value #LISTEN_ENV}; -1 if unknown. */
  static int listenPort(Container agent) {
    if (agent.getEnv() == null) {
      return -1;
    }
    return agent.getEnv().stream().filter(e -> LISTEN_ENV.equals(e.getName()) && e.getValue() != null)
        .map(e -> e.getValue().substring(e.getValue().lastIndexOf(':') + 1))
        .mapToInt(p -> {
          try {
            return Integer.parseInt(p);
          } catch (NumberFormatException e) {
            return -1;
          }
        })
        .findFirst().orElse(-1);
  }

  /** DEVPROXY_APP_PROTOCOL for a Service port's {@code appProtocol}: h2c for gRPC/h2c, http1 for http, else auto. */
  static String appProtocol(String serviceAppProtocol) {
    if (serviceAppProtocol == null) {
      return "auto";
    }
    return switch (serviceAppProtocol.toLowerCase(java.util.Locale.ROOT)) {
      case "kubernetes.io/h2c", "h2c", "grpc" -> "h2c";
      case "http", "kubernetes.io/http" -> "http1";
      default -> "auto";
    };
  }
}

package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The traffic agent container and its TLS volume, as injected next to the app container (sidecar) or in its
 * place (swap, shadow).
 */
final class AgentContainer {

  static final String NAME = "devproxy-agent";
  static final String TLS_VOLUME = "devproxy-agent-tls";
  static final String TLS_DIR = "/etc/devproxy/tls";
  static final String LISTEN_ENV = "DEVPROXY_LISTEN";
  /**
   * {@code Kind/name} of the workload whose pods run the agent, as the session Leases' {@code devproxy.io/workload}
   * annotation names it: the agent's lease janitor restores that workload when a session's Lease expires.
   */
  static final String WORKLOAD_ENV = "DEVPROXY_WORKLOAD";
  /** A shadow agent's own Service, which its lease janitor deletes with the shadow Deployment. */
  static final String SHADOW_SERVICE_ENV = "DEVPROXY_SHADOW_SERVICE";
  /** Non-root user of the distroless "nonroot" images. */
  static final long RUN_AS_USER = 65532L;
  /**
   * The variables every JVM (the agent's included) reads its options from. An app's value (a {@code -javaagent}
   * from the app's image, a heap far above the agent's memory limit) would stop the agent from starting.
   */
  static final List<String> JVM_OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

  private AgentContainer() {}

  /**
   * The variables that tell the agent which workload its pods belong to ({@value #WORKLOAD_ENV}) and, for a
   * shadow, its Service ({@value #SHADOW_SERVICE_ENV}), so it can clean up after an expired session itself.
   *
   * @param workloadKind "Deployment" or "StatefulSet"
   * @param shadowService the shadow Service; null unless the agent runs in a shadow Deployment
   */
  static List<EnvVar> workloadEnv(String workloadKind, String workloadName, String shadowService) {
    List<EnvVar> env = new ArrayList<>();
    env.add(new EnvVar(WORKLOAD_ENV, workloadKind + "/" + workloadName, null));
    if (shadowService != null) {
      env.add(new EnvVar(SHADOW_SERVICE_ENV, shadowService, null));
    }
    return env;
  }

  /**
   * @param workloadEnv from {@link #workloadEnv}
   * @param listenPortName the name the agent's service port takes over from the app; null to leave it unnamed
   * @param listenPort the port the agent serves the Service on
   * @param app {@code host:port} of the app for unmatched traffic; null for an agent with no app (it answers
   *     unmatched requests 503), which then gets neither DEVPROXY_APP nor DEVPROXY_APP_PROTOCOL
   * @param appProtocol auto, http1 or h2c
   * @param usedPortNames port names already in the pod: the agent's tunnel and admin ports stay unnamed
   *     rather than clash with one
   */
  static Container container(AgentSpec agent, List<EnvVar> workloadEnv, String listenPortName, int listenPort,
      String app, String appProtocol, Set<String> usedPortNames) {
    List<io.fabric8.kubernetes.api.model.ContainerPort> ports = new ArrayList<>();
    ports.add(new ContainerPortBuilder().withName(listenPortName).withContainerPort(listenPort)
        .withProtocol("TCP").build());
    ports.add(new ContainerPortBuilder().withName(usedPortNames.contains("devproxy-tunnel") ? null : "devproxy-tunnel")
        .withContainerPort(agent.tunnelPort()).withProtocol("TCP").build());
    ports.add(new ContainerPortBuilder().withName(usedPortNames.contains("devproxy-admin") ? null : "devproxy-admin")
        .withContainerPort(agent.adminPort()).withProtocol("TCP").build());
    List<EnvVar> env = new ArrayList<>(List.of(
        new EnvVar(LISTEN_ENV, "0.0.0.0:" + listenPort, null),
        new EnvVar("DEVPROXY_TUNNEL_LISTEN", "0.0.0.0:" + agent.tunnelPort(), null),
        new EnvVar("DEVPROXY_ADMIN_LISTEN", "0.0.0.0:" + agent.adminPort(), null),
        new EnvVar("DEVPROXY_TLS_DIR", TLS_DIR, null)));
    env.addAll(workloadEnv);
    if (app != null) {
      env.add(new EnvVar("DEVPROXY_APP", app, null));
      env.add(new EnvVar("DEVPROXY_APP_PROTOCOL", appProtocol, null));
    }
    return new ContainerBuilder()
        .withName(NAME)
        .withImage(agent.image())
        .withPorts(ports)
        .withEnv(env)
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

  /**
   * The agent container that takes {@code app}'s place (swap and shadow modes): an agent with no app, listening
   * on {@code listenPort}, so unmatched requests get 503 from it.
   *
   * <p>It keeps {@code app}'s {@code env}, {@code envFrom} and {@code volumeMounts} (the developer's environment
   * import and file access read them from the pod) and declares {@code app}'s ports as they were, so a Service
   * reaching the port by name or number needs no change. The JVM option variables ({@link #JVM_OPTION_VARIABLES})
   * are set empty in place when {@code app}'s env names them, and appended empty when {@code app} has
   * {@code envFrom} (which may carry them). Everything else is the agent's own: image, command, resources,
   * security context, and probes on the admin port ({@code /healthz} for liveness, {@code /readyz} for
   * readiness, no startup probe), because the app's probes would hit the agent's service port; lifecycle hooks
   * are dropped (the agent image has no shell to run them).
   *
   * @param workloadEnv from {@link #workloadEnv}: the workload whose pods run the agent (the shadow's, for a shadow)
   * @param usedPortNames port names already in the pod, {@code app}'s included
   */
  static Container replacing(Container app, AgentSpec agent, List<EnvVar> workloadEnv, int listenPort,
      Set<String> usedPortNames) {
    Container agentContainer = container(agent, workloadEnv, null, listenPort, null, null, usedPortNames);
    List<ContainerPort> agentPorts = agentContainer.getPorts();
    List<ContainerPort> ports = new ArrayList<>();
    if (app.getPorts() != null) {
      app.getPorts().forEach(p -> ports.add(new ContainerPortBuilder(p).build()));
    }
    boolean declared = ports.stream().anyMatch(p -> p.getContainerPort() == listenPort
        && (p.getProtocol() == null || "TCP".equals(p.getProtocol())));
    if (!declared) {
      ports.add(agentPorts.get(0));
    }
    ports.addAll(agentPorts.subList(1, agentPorts.size()));

    List<EnvVar> env = new ArrayList<>();
    if (app.getEnv() != null) {
      app.getEnv().forEach(e -> env.add(JVM_OPTION_VARIABLES.contains(e.getName())
          ? new EnvVar(e.getName(), "", null) : new EnvVarBuilder(e).build()));
    }
    if (app.getEnvFrom() != null && !app.getEnvFrom().isEmpty()) {
      Set<String> named = env.stream().map(EnvVar::getName).collect(Collectors.toSet());
      JVM_OPTION_VARIABLES.stream().filter(v -> !named.contains(v)).forEach(v -> env.add(new EnvVar(v, "", null)));
    }
    env.addAll(agentContainer.getEnv());

    List<VolumeMount> mounts = new ArrayList<>();
    if (app.getVolumeMounts() != null) {
      app.getVolumeMounts().forEach(m -> mounts.add(new VolumeMountBuilder(m).build()));
    }
    mounts.addAll(agentContainer.getVolumeMounts());

    return new ContainerBuilder(agentContainer)
        .withPorts(ports)
        .withEnv(env)
        .withEnvFrom(app.getEnvFrom())
        .withVolumeMounts(mounts)
        .withLivenessProbe(new ProbeBuilder()
            .withNewHttpGet().withPath("/healthz").withPort(new IntOrString(agent.adminPort())).endHttpGet()
            .withPeriodSeconds(10).withFailureThreshold(3)
            .build())
        .build();
  }

  /**
   * Checks that the agent can join {@code pod}: no container already has its name, no volume the TLS volume's
   * name, and no container declares the agent's tunnel or admin port.
   *
   * @throws DevproxyException USER naming what is in the way
   */
  static void checkFits(PodSpec pod, InterceptTarget target, AgentSpec agent) throws DevproxyException {
    if (PodTemplates.find(pod.getContainers(), NAME) != null) {
      throw PodTemplates.userError(target, "already has a '" + NAME + "' container that devproxy did not record;"
          + " remove it (or restore the workload) and try again");
    }
    if (pod.getVolumes() != null && pod.getVolumes().stream().anyMatch(v -> TLS_VOLUME.equals(v.getName()))) {
      throw PodTemplates.userError(target, "already has a volume named '" + TLS_VOLUME + "'; remove it and try again");
    }
    Set<Integer> used = PodTemplates.declaredPorts(pod).map(ContainerPort::getContainerPort)
        .collect(Collectors.toSet());
    for (int port : new int[] {agent.tunnelPort(), agent.adminPort()}) {
      if (used.contains(port)) {
        throw PodTemplates.userError(target, "already uses port " + port
            + " which the agent needs; choose other agent ports");
      }
    }
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

  /** The agent's {@code DEVPROXY_APP} ({@code host:port} of the app it forwards to); null when it has none. */
  static String appAddress(Container agent) {
    return agent.getEnv() == null ? null : agent.getEnv().stream()
        .filter(e -> "DEVPROXY_APP".equals(e.getName())).map(EnvVar::getValue).findFirst().orElse(null);
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

package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where the workload and Service are patched for sidecar mode: pure functions, no API calls; inputs are never
 * modified (outputs are deep copies).
 *
 * <p>A named {@code targetPort} is taken over by name: the app's port is renamed ({@code <name>-app}), the agent
 * declares the original name on a free port (15000 up), and the app's probes that named the port follow the
 * rename, so they still reach the app. A numeric {@code targetPort} is taken over by pointing the Service port at
 * the agent's port; the app keeps its port. Each changed object is labelled
 * {@code app.kubernetes.io/managed-by: devproxy} and annotated with {@value RestoreRecord#ANNOTATION}, from which
 * {@code restore} gives back the original spec, labels and annotations exactly. The agent's image pull Secrets are
 * added to the pod template where it lacks them ({@link ImagePullSecrets}) and removed again on restore.
 */
public final class SidecarInjection {

  /** The first port tried for the agent's Service port. */
  static final int FIRST_AGENT_PORT = 15000;
  private static final int MAX_PORT_NAME = 15;

  private SidecarInjection() {}

  /**
   * What to write. When the workload already has the agent, {@code workload} and {@code service} are the inputs
   * themselves and nothing is to be written (no second restart).
   *
   * @param workload the workload to write (a copy), or the input when unchanged
   * @param workloadChanged whether {@code workload} must be written
   * @param service the Service to write (a copy), or the input when unchanged
   * @param serviceChanged whether {@code service} must be written
   * @param agentPort the port on which the agent serves the intercepted Service port; -1 if unknown on reuse
   */
  public record Plan<W extends HasMetadata>(W workload, boolean workloadChanged, Service service,
      boolean serviceChanged, int agentPort) {

    /** Whether the workload already had the agent: nothing to write. */
    public boolean reuse() {
      return !workloadChanged && !serviceChanged;
    }
  }

  /**
   * Plans the agent into {@code current}'s pod template and, for a numeric targetPort, {@code service}'s port.
   *
   * @throws DevproxyException USER when the target container or port is gone from the workload, the Service has no
   *     port to take over, the agent's ports or names are already taken in the pod, or the workload is swapped
   *     ({@link SwapInjection}: no app is left to share)
   */
  public static Plan<Deployment> plan(Deployment current, Service service, InterceptTarget target, AgentSpec agent)
      throws DevproxyException {
    requireNonNull(current, "current");
    Deployment copy = new DeploymentBuilder(current).build();
    return plan(current, copy, podSpec(copy), service, target, agent);
  }

  /** As {@link #plan(Deployment, Service, InterceptTarget, AgentSpec)}, for a StatefulSet. */
  public static Plan<StatefulSet> plan(StatefulSet current, Service service, InterceptTarget target,
      AgentSpec agent) throws DevproxyException {
    requireNonNull(current, "current");
    StatefulSet copy = new StatefulSetBuilder(current).build();
    return plan(current, copy, podSpec(copy), service, target, agent);
  }

  /** {@code patched} as it was before injection (a copy); a copy of {@code patched} if it carries no record. */
  public static Deployment restore(Deployment patched) {
    Deployment copy = new DeploymentBuilder(requireNonNull(patched, "patched")).build();
    restoreWorkload(copy, podSpec(copy));
    return copy;
  }

  /** As {@link #restore(Deployment)}, for a StatefulSet. */
  public static StatefulSet restore(StatefulSet patched) {
    StatefulSet copy = new StatefulSetBuilder(requireNonNull(patched, "patched")).build();
    restoreWorkload(copy, podSpec(copy));
    return copy;
  }

  /** {@code patched} with its original ports (a copy); a copy of {@code patched} if it carries no record. */
  public static Service restore(Service patched) {
    Service copy = new ServiceBuilder(requireNonNull(patched, "patched")).build();
    RestoreRecord record = RestoreRecord.of(copy.getMetadata());
    if (record != null) {
      copy.getSpec().setPorts(record.list("ports", ServicePort[].class));
      record.eraseFrom(copy.getMetadata());
    }
    return copy;
  }

  /** Whether {@code object} carries a restore record, i.e. devproxy changed it. */
  public static boolean isInjected(HasMetadata object) {
    return RestoreRecord.of(object.getMetadata()) != null;
  }

  /** The name of the Service an injected workload was patched for; null when not injected. */
  static String interceptedService(HasMetadata workload) {
    RestoreRecord record = RestoreRecord.of(workload.getMetadata());
    return record == null ? null : record.string("service");
  }

  /**
   * {@code service} (a copy) with the intercepted port's numeric targetPort pointed at {@code agentPort}; the
   * input itself when the targetPort is a name or the Service already carries a record.
   */
  static Service retarget(Service service, InterceptTarget target, int agentPort) throws DevproxyException {
    if (target.targetPortIsName() || isInjected(service)) {
      return service;
    }
    Service copy = new ServiceBuilder(service).build();
    ServicePort port = servicePort(copy, target);
    if (port == null) {
      throw new DevproxyException(ErrorCategory.USER, "service '" + target.service() + "' has no port "
          + target.servicePort() + " to route through the agent; sidecar mode needs a Service port (try swap mode)");
    }
    RestoreRecord record = RestoreRecord.create().put("ports", service.getSpec().getPorts());
    port.setTargetPort(new IntOrString(agentPort));
    record.writeTo(copy.getMetadata());
    return copy;
  }

  private static <W extends HasMetadata> Plan<W> plan(W current, W copy, PodSpec pod, Service service,
      InterceptTarget target, AgentSpec agent) throws DevproxyException {
    requireNonNull(service, "service");
    requireNonNull(target, "target");
    requireNonNull(agent, "agent");
    if (isInjected(current)) {
      if (SwapInjection.isSwapped(current)) {
        throw userError(target, SwapInjection.swappedBy(current) + ", so no app is left to share;"
            + " run 'devproxy leave' in that session (or 'devproxy uninstall'), or use --mode shadow");
      }
      Container existing = find(pod.getContainers(), AgentContainer.NAME);
      int listenPort = existing == null ? -1 : AgentContainer.listenPort(existing);
      // A numeric targetPort whose Service still points at the app, while the agent fronts that very port: the
      // Service write after the workload's failed or was cut off (a crash). Finish it instead of reusing half.
      if (!target.targetPortIsName() && listenPort > 0 && !isInjected(service)
          && ("127.0.0.1:" + target.containerPort()).equals(AgentContainer.appAddress(existing))) {
        return new Plan<>(current, false, retarget(service, target, listenPort), true, listenPort);
      }
      return new Plan<>(current, false, service, false, listenPort);
    }
    Container app = find(pod.getContainers(), target.container());
    if (app == null) {
      throw userError(target, "has no container '" + target.container() + "' any more");
    }
    AgentContainer.checkFits(pod, target, agent);
    RestoreRecord record = RestoreRecord.create()
        .put("service", target.service())
        .put("containers", podSpec(current).getContainers())
        .put("volumes", podSpec(current).getVolumes());

    Set<Integer> usedPorts = new HashSet<>();
    Set<String> usedNames = new HashSet<>();
    PodTemplates.declaredPorts(pod).forEach(p -> {
      usedPorts.add(p.getContainerPort());
      if (p.getName() != null) {
        usedNames.add(p.getName());
      }
    });
    int agentPort = freePort(usedPorts, agent);
    ServicePort servicePort = servicePort(service, target);
    String appProtocol = AgentContainer.appProtocol(servicePort == null ? null : servicePort.getAppProtocol());

    String listenName = null;
    Service newService = service;
    if (target.targetPortIsName()) {
      String name = target.targetPort().getStrVal();
      listenName = name;
      ContainerPort appPort = app.getPorts() == null ? null
          : app.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElse(null);
      if (appPort == null) {
        throw userError(target, "has no port named '" + listenName + "' in container '" + app.getName() + "' any more");
      }
      String renamed = renamedPortName(listenName, usedNames);
      appPort.setName(renamed);
      ProbePorts.rename(app, listenName, renamed);
      usedNames.add(renamed);
    } else {
      newService = retarget(service, target, agentPort);
    }
    Container agentContainer = AgentContainer.container(agent,
        AgentContainer.workloadEnv(target.workloadKind(), target.workloadName(), null), listenName, agentPort,
        "127.0.0.1:" + target.containerPort(), appProtocol, usedNames);
    pod.getContainers().add(agentContainer);
    List<Volume> volumes = pod.getVolumes() == null ? new ArrayList<>() : new ArrayList<>(pod.getVolumes());
    volumes.add(AgentContainer.tlsVolume(agent));
    pod.setVolumes(volumes);
    ImagePullSecrets.add(pod, agent.imagePullSecrets(), record);
    record.writeTo(copy.getMetadata());
    return new Plan<>(copy, true, newService, newService != service, agentPort);
  }

  private static void restoreWorkload(HasMetadata copy, PodSpec pod) {
    RestoreRecord record = RestoreRecord.of(copy.getMetadata());
    if (record == null) {
      return;
    }
    pod.setContainers(record.list("containers", Container[].class));
    pod.setVolumes(record.list("volumes", Volume[].class));
    ImagePullSecrets.restore(pod, record);
    record.eraseFrom(copy.getMetadata());
  }

  /**
   * {@code <name>-app}, or {@code <name>-app2} … {@code -app9} if taken, with {@code name} cut so the result keeps
   * to IANA_SVC_NAME's 15 characters (the suffix supplies the required letter).
   */
  static String renamedPortName(String name, Set<String> used) {
    for (int i = 1; i <= 9; i++) {
      String suffix = i == 1 ? "-app" : "-app" + i;
      String base = name.substring(0, Math.min(name.length(), MAX_PORT_NAME - suffix.length()));
      while (base.endsWith("-")) {
        base = base.substring(0, base.length() - 1);
      }
      String candidate = base + suffix;
      if (!used.contains(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no free port name for " + name + " among " + used);
  }

  private static int freePort(Set<Integer> used, AgentSpec agent) {
    int port = FIRST_AGENT_PORT;
    while (used.contains(port) || port == agent.tunnelPort() || port == agent.adminPort()) {
      port++;
    }
    return port;
  }

  private static ServicePort servicePort(Service service, InterceptTarget target) {
    if (target.servicePort() == null || service.getSpec() == null || service.getSpec().getPorts() == null) {
      return null;
    }
    return service.getSpec().getPorts().stream()
        .filter(p -> Objects.equals(p.getPort(), target.servicePort())).findFirst().orElse(null);
  }

  private static Container find(List<Container> containers, String name) {
    return PodTemplates.find(containers, name);
  }

  private static PodSpec podSpec(HasMetadata workload) {
    return PodTemplates.podSpec(workload);
  }

  private static DevproxyException userError(InterceptTarget target, String what) {
    return PodTemplates.userError(target, what);
  }
}

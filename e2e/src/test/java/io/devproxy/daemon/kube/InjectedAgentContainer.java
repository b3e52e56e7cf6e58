package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.Container;
import java.util.Set;

/**
 * The agent container exactly as the daemon writes it into a Deployment in sidecar mode ({@link AgentContainer},
 * with the arguments {@link SidecarInjection} passes), for tests that run the agent image from outside this
 * package. Only the service port is the caller's: the daemon picks the first port from 15000 the pod leaves free,
 * which on a shared test machine may be taken.
 */
public final class InjectedAgentContainer {

  private InjectedAgentContainer() {}

  /**
   * @param deployment the workload whose pods run the agent (DEVPROXY_WORKLOAD=Deployment/NAME)
   * @param listenPort the port the agent serves the intercepted Service port on
   * @param appPort the app container's port, which the agent reaches on 127.0.0.1 in the pod
   */
  public static Container sidecar(AgentSpec agent, String deployment, int listenPort, int appPort) {
    return AgentContainer.container(agent, AgentContainer.workloadEnv("Deployment", deployment, null), null,
        listenPort, "127.0.0.1:" + appPort, AgentContainer.appProtocol(null), Set.of());
  }
}

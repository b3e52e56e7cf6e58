package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds the container and container port behind a Service port: through {@code targetPort} when the Service
 * lists ports, else (headless or portless Services) through the containers' own ports.
 */
final class PortResolver {

  /** A container port candidate; {@code name} is null for an unnamed or undeclared port. */
  record Candidate(String container, int port, String name) {}

  /** The chosen port, with the Service port it came through (both null for a portless Service). */
  record Resolved(Candidate candidate, ServicePort servicePort) {}

  private final Service service;
  private final Workload workload;

  PortResolver(Service service, Workload workload) {
    this.service = service;
    this.workload = workload;
  }

  /**
   * @param remotePort a Service port number or name (container port number or name for a portless Service);
   *     null when there is only one choice
   * @param container the container name; null when only one container can serve the port
   */
  Resolved resolve(String remotePort, String container) throws DevproxyException {
    List<Container> containers = containers(container);
    List<ServicePort> ports = servicePorts(service);
    if (!ports.isEmpty()) {
      ServicePort sp = servicePort(ports, remotePort);
      IntOrString target = effectiveTarget(sp);
      List<Candidate> candidates;
      if (target.getStrVal() != null) {
        candidates = declared(containers).stream().filter(c -> target.getStrVal().equals(c.name())).toList();
        if (candidates.isEmpty()) {
          throw user("no container of " + workload + " declares a port named '" + target.getStrVal()
              + "' (targetPort of " + describe(sp) + " on service '" + name() + "'); fix the Service's targetPort"
              + " or the pod template's port name");
        }
      } else {
        candidates = byNumber(containers, target.getIntVal(), "port " + target.getIntVal());
      }
      return new Resolved(pick(candidates, "port " + describe(sp)), sp);
    }
    List<Candidate> all = declared(containers);
    if (remotePort == null) {
      if (all.size() == 1) {
        return new Resolved(all.get(0), null);
      }
      throw user("service '" + name() + "' lists no ports and " + workload
          + (all.isEmpty() ? "'s containers declare none; pass the container port with --port NUMBER"
              : " has several container ports (" + describe(all) + "); pick one with --port"));
    }
    Integer number = number(remotePort);
    if (number != null) {
      return new Resolved(pick(byNumber(containers, number, "port " + number), "port " + number), null);
    }
    List<Candidate> named = all.stream().filter(c -> remotePort.equals(c.name())).toList();
    if (named.isEmpty()) {
      throw user("port '" + remotePort + "' not found in " + workload + " behind service '" + name()
          + "' (container ports: " + (all.isEmpty() ? "none" : describe(all)) + "); pick one with --port");
    }
    return new Resolved(pick(named, "port " + remotePort), null);
  }

  static List<ServicePort> servicePorts(Service service) {
    return service.getSpec() == null || service.getSpec().getPorts() == null
        ? List.of() : service.getSpec().getPorts();
  }

  /** The targetPort as Kubernetes applies it: the port number itself when left out. */
  static IntOrString effectiveTarget(ServicePort sp) {
    IntOrString t = sp.getTargetPort();
    return t == null || (t.getIntVal() == null && t.getStrVal() == null) ? new IntOrString(sp.getPort()) : t;
  }

  static String describe(ServicePort sp) {
    IntOrString t = effectiveTarget(sp);
    return (sp.getName() == null ? "" : sp.getName() + " ") + sp.getPort() + "->"
        + (t.getStrVal() != null ? t.getStrVal() : t.getIntVal());
  }

  static Integer number(String port) throws DevproxyException {
    if (port.isEmpty() || !port.chars().allMatch(Character::isDigit)) {
      return null;
    }
    int n;
    try {
      n = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > 65535) {
      throw user("port: " + port + " (expected: 1-65535 or a port name)");
    }
    return n;
  }

  List<Candidate> declared(List<Container> containers) {
    List<Candidate> result = new ArrayList<>();
    for (Container c : containers) {
      if (c.getPorts() != null) {
        for (ContainerPort p : c.getPorts()) {
          if (p.getContainerPort() != null) {
            result.add(new Candidate(c.getName(), p.getContainerPort(), p.getName()));
          }
        }
      }
    }
    return result;
  }

  private ServicePort servicePort(List<ServicePort> ports, String remotePort) throws DevproxyException {
    if (remotePort == null) {
      if (ports.size() == 1) {
        return ports.get(0);
      }
      throw user("service '" + name() + "' has several ports (" + describeAll(ports)
          + "); pick one with --port NAME or --port NUMBER");
    }
    Integer number = number(remotePort);
    for (ServicePort sp : ports) {
      if (number != null ? number.equals(sp.getPort()) : remotePort.equals(sp.getName())) {
        return sp;
      }
    }
    throw user("port '" + remotePort + "' not found on service '" + name() + "' (ports: " + describeAll(ports)
        + "); pick one of them with --port");
  }

  // Kubernetes forwards a numeric targetPort whether or not a container declares it; only the container is
  // then in doubt.
  private List<Candidate> byNumber(List<Container> containers, int number, String what) throws DevproxyException {
    List<Candidate> declared = declared(containers).stream().filter(c -> c.port() == number).toList();
    if (!declared.isEmpty()) {
      return declared;
    }
    if (containers.size() == 1) {
      return List.of(new Candidate(containers.get(0).getName(), number, null));
    }
    throw user("no container of " + workload + " declares " + what + ", so it could be any of "
        + names(containers) + "; pick one with --container");
  }

  private Candidate pick(List<Candidate> candidates, String what) throws DevproxyException {
    List<String> owners = candidates.stream().map(Candidate::container).distinct().toList();
    if (owners.size() > 1) {
      throw user(what + " is served by several containers of " + workload + ": " + String.join(", ", owners)
          + "; pick one with --container");
    }
    return candidates.get(0);
  }

  private List<Container> containers(String container) throws DevproxyException {
    List<Container> all = workload.podSpec() == null || workload.podSpec().getContainers() == null
        ? List.of() : workload.podSpec().getContainers();
    if (container == null) {
      if (all.isEmpty()) {
        throw user(workload + " in '" + namespace() + "' has no containers; fix its pod template");
      }
      return all;
    }
    List<Container> chosen = all.stream().filter(c -> container.equals(c.getName())).toList();
    if (chosen.isEmpty()) {
      throw user("no container '" + container + "' in " + workload + " (containers: " + names(all)
          + "); pick one with --container");
    }
    return chosen;
  }

  private static String names(List<Container> containers) {
    return containers.stream().map(Container::getName).collect(Collectors.joining(", "));
  }

  private static String describe(List<Candidate> candidates) {
    return candidates.stream()
        .map(c -> c.container() + ":" + (c.name() == null ? "" : c.name() + "/") + c.port())
        .collect(Collectors.joining(", "));
  }

  private static String describeAll(List<ServicePort> ports) {
    return ports.stream().map(PortResolver::describe).collect(Collectors.joining(", "));
  }

  private String name() {
    return service.getMetadata().getName();
  }

  private String namespace() {
    return service.getMetadata().getNamespace();
  }

  private static DevproxyException user(String message) {
    return new DevproxyException(ErrorCategory.USER, message);
  }
}

package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.List;
import java.util.stream.Stream;

/** Reads the pod template of the workloads devproxy patches (Deployments and StatefulSets), and copies them. */
final class PodTemplates {

  private PodTemplates() {}

  /** A deep copy of a Deployment or StatefulSet. */
  @SuppressWarnings("unchecked")
  static <W extends HasMetadata> W copy(W workload) {
    if (workload instanceof Deployment d) {
      return (W) new DeploymentBuilder(d).build();
    }
    return (W) new StatefulSetBuilder((StatefulSet) workload).build();
  }

  static PodTemplateSpec template(HasMetadata workload) {
    if (workload instanceof Deployment d) {
      return d.getSpec().getTemplate();
    }
    return ((StatefulSet) workload).getSpec().getTemplate();
  }

  static PodSpec podSpec(HasMetadata workload) {
    return template(workload).getSpec();
  }

  /** The container called {@code name}; null when there is none. */
  static Container find(List<Container> containers, String name) {
    return containers == null ? null
        : containers.stream().filter(c -> name.equals(c.getName())).findFirst().orElse(null);
  }

  /** The ports every container of {@code pod} declares, init containers included. */
  static Stream<ContainerPort> declaredPorts(PodSpec pod) {
    Stream<Container> containers = Stream.concat(pod.getContainers().stream(),
        pod.getInitContainers() == null ? Stream.empty() : pod.getInitContainers().stream());
    return containers.flatMap(c -> c.getPorts() == null ? Stream.empty() : c.getPorts().stream());
  }

  /** A USER error about the target's workload: {@code Kind 'name' in namespace 'ns' <what>}. */
  static DevproxyException userError(InterceptTarget target, String what) {
    return new DevproxyException(ErrorCategory.USER, target.workloadKind() + " '" + target.workloadName()
        + "' in namespace '" + target.namespace() + "' " + what);
  }
}

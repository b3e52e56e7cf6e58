package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.Map;

/** Realistic Kubernetes objects for resolver tests. */
final class KubeFixtures {

  private KubeFixtures() {}

  static ContainerPort port(String name, int number) {
    return new ContainerPortBuilder().withName(name).withContainerPort(number).withProtocol("TCP").build();
  }

  static Container container(String name, ContainerPort... ports) {
    return new ContainerBuilder().withName(name).withImage("registry.example.com/" + name + ":1.0")
        .withPorts(ports).build();
  }

  static PodTemplateSpec template(Map<String, String> labels, Container... containers) {
    return new PodTemplateSpecBuilder().withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec().withContainers(containers).endSpec().build();
  }

  static Deployment deployment(String ns, String name, Map<String, String> labels, Container... containers) {
    return new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(labels).endSelector()
        .withTemplate(template(labels, containers)).endSpec().build();
  }

  static StatefulSet statefulSet(String ns, String name, Map<String, String> labels, Container... containers) {
    return new StatefulSetBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withReplicas(1).withServiceName(name).withNewSelector().withMatchLabels(labels).endSelector()
        .withTemplate(template(labels, containers)).endSpec().build();
  }

  /** A ReplicaSet; {@code ownerDeployment} null for a bare one, else it carries the Deployment's owner ref. */
  static ReplicaSet replicaSet(String ns, String name, String ownerDeployment, Map<String, String> labels,
      Container... containers) {
    ReplicaSetBuilder b = new ReplicaSetBuilder();
    var meta = b.withNewMetadata().withNamespace(ns).withName(name);
    if (ownerDeployment != null) {
      meta.addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment").withName(ownerDeployment)
          .withUid("0b8f3c1e-1111-4222-8333-444455556666").withController(true).endOwnerReference();
    }
    return meta.endMetadata().withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels)
        .endSelector().withTemplate(template(labels, containers)).endSpec().build();
  }

  static ServicePort servicePort(String name, int port, IntOrString targetPort) {
    return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(targetPort).withProtocol("TCP")
        .build();
  }

  static Service service(String ns, String name, Map<String, String> selector, ServicePort... ports) {
    return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withType("ClusterIP").withSelector(selector).withPorts(ports).endSpec().build();
  }

  /** A headless Service without a ports list, as Ambassador's gRPC examples use. */
  static Service headless(String ns, String name, Map<String, String> selector) {
    return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withClusterIP("None").withSelector(selector).endSpec().build();
  }
}

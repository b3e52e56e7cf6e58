package io.devproxy.daemon.kube.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The Deployment controller and kubelet of a mock API server, without processes: keeps {@code replicas} Pods per
 * Deployment whose spec is the current template, Running and Ready, owned by a ReplicaSet named
 * {@code <deployment>-<template hash>} as a real controller names it; pods of an earlier template are deleted.
 * A container whose image {@link #failImages} matches never starts: its status says ErrImagePull.
 */
public final class ReadyPods implements AutoCloseable {

  private final KubernetesClient client;
  private final String namespace;
  private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ready-pods");
    t.setDaemon(true);
    return t;
  });
  private volatile Predicate<String> failImages = image -> false;
  private volatile boolean paused;

  public ReadyPods(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    loop.scheduleWithFixedDelay(this::reconcileQuietly, 0, 50, TimeUnit.MILLISECONDS);
  }

  /** Containers with a matching image fail to pull. */
  public void failImages(Predicate<String> images) {
    this.failImages = images;
  }

  /** Stops making pods (a rollout that never ends). */
  public void pause(boolean paused) {
    this.paused = paused;
  }

  private void reconcileQuietly() {
    try {
      if (!paused) {
        reconcile();
      }
    } catch (RuntimeException e) {
      // the mock server is shutting down, or a write raced with the test; the next round tries again
    }
  }

  private void reconcile() {
    List<Pod> pods = client.pods().inNamespace(namespace).list().getItems();
    Map<String, List<Pod>> byOwner = new HashMap<>();
    for (Pod pod : pods) {
      byOwner.computeIfAbsent(pod.getMetadata().getLabels().getOrDefault("ready-pods/deployment", ""),
          k -> new ArrayList<>()).add(pod);
    }
    for (Deployment d : client.apps().deployments().inNamespace(namespace).list().getItems()) {
      String name = d.getMetadata().getName();
      String hash = hash(d.getSpec().getTemplate());
      int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
      int current = 0;
      for (Pod pod : byOwner.getOrDefault(name, List.of())) {
        if (hash.equals(pod.getMetadata().getLabels().get("pod-template-hash")) && current < replicas) {
          current++;
        } else {
          client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).delete();
        }
      }
      for (int i = current; i < replicas; i++) {
        client.pods().inNamespace(namespace).resource(pod(d, hash, i)).create();
      }
    }
    for (Map.Entry<String, List<Pod>> owned : byOwner.entrySet()) {
      if (!owned.getKey().isEmpty()
          && client.apps().deployments().inNamespace(namespace).withName(owned.getKey()).get() == null) {
        owned.getValue().forEach(p -> client.pods().inNamespace(namespace).resource(p).delete());
      }
    }
  }

  private Pod pod(Deployment d, String hash, int index) {
    PodTemplateSpec template = d.getSpec().getTemplate();
    List<ContainerStatus> statuses = new ArrayList<>();
    boolean ready = true;
    for (Container c : template.getSpec().getContainers()) {
      ContainerStatusBuilder status = new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage());
      if (failImages.test(c.getImage())) {
        ready = false;
        status.withReady(false).withNewState().withNewWaiting().withReason("ErrImagePull")
            .withMessage("rpc error: code = NotFound desc = failed to pull and unpack image \"" + c.getImage()
                + "\": not found")
            .endWaiting().endState();
      } else {
        status.withReady(true).withNewState().withNewRunning().endRunning().endState();
      }
      statuses.add(status.build());
    }
    String rs = d.getMetadata().getName() + "-" + hash;
    return new PodBuilder()
        .withNewMetadata()
            .withName(rs + "-" + index + Long.toHexString(System.nanoTime() & 0xffff))
            .withNamespace(namespace)
            .withLabels(template.getMetadata().getLabels())
            .addToLabels("pod-template-hash", hash)
            .addToLabels("ready-pods/deployment", d.getMetadata().getName())
            .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(rs)
                .withUid("uid-" + rs).withController(true).endOwnerReference()
        .endMetadata()
        .withSpec(template.getSpec())
        .withNewStatus()
            .withPhase(ready ? "Running" : "Pending")
            .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
            .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
            .withContainerStatuses(statuses)
        .endStatus()
        .build();
  }

  private static String hash(PodTemplateSpec template) {
    return Integer.toHexString(template.hashCode() & 0x7fffffff);
  }

  @Override
  public void close() {
    loop.shutdownNow();
    try {
      loop.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

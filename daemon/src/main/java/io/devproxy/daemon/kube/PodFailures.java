package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Recognises a pod that will not become ready by itself: an image that cannot be pulled, a container that keeps
 * crashing, a container whose config refers to something missing, a pod no node takes. Each becomes one CLUSTER
 * {@link DevproxyException} naming the pod and the fix. Needs list on {@code events} (image pull details).
 */
final class PodFailures {

  private static final Set<String> IMAGE_PULL = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
      "ErrImageNeverPull");
  private static final Set<String> CONFIG = Set.of("CreateContainerConfigError", "CreateContainerError");
  private static final String CRASH_LOOP = "CrashLoopBackOff";
  /** Restarts after which a container that exits with an error counts as crash-looping. */
  static final int CRASH_RESTARTS = 2;

  private PodFailures() {}

  /**
   * Why a container of {@code pod} will not start, or null while every container may still get there. The agent
   * counts as crash-looping after {@value #CRASH_RESTARTS} failed restarts; other containers (which ran before the
   * agent came) only once the kubelet backs off after as many.
   */
  static DevproxyException containerFailure(KubernetesClient client, String namespace, Pod pod)
      throws DevproxyException {
    String podName = pod.getMetadata().getName();
    List<ContainerStatus> statuses = new ArrayList<>();
    if (pod.getStatus() != null) {
      statuses.addAll(orEmpty(pod.getStatus().getInitContainerStatuses()));
      statuses.addAll(orEmpty(pod.getStatus().getContainerStatuses()));
    }
    for (ContainerStatus s : statuses) {
      boolean agent = AgentContainer.NAME.equals(s.getName());
      ContainerStateWaiting waiting = s.getState() == null ? null : s.getState().getWaiting();
      String reason = waiting == null ? null : waiting.getReason();
      String message = waiting == null ? "" : KubeClients.oneLine(waiting.getMessage());
      if (reason != null && IMAGE_PULL.contains(reason)) {
        String image = image(pod, s);
        String why = pullError(client, namespace, podName, image, message, reason);
        return new DevproxyException(ErrorCategory.CLUSTER, agent
            ? "the agent image " + image + " cannot be pulled on pod " + podName + ": " + why
                + "; check --agent-image and the registry credentials (imagePullSecrets)"
            : "the image " + image + " of container " + s.getName() + " cannot be pulled on pod " + podName + ": "
                + why + "; check the image and the registry credentials (imagePullSecrets)");
      }
      if (reason != null && CONFIG.contains(reason)) {
        return new DevproxyException(ErrorCategory.CLUSTER, "pod " + podName + " cannot start container "
            + s.getName() + ": " + (message.isEmpty() ? reason : message) + "; create what it refers to or fix the"
            + " reference (kubectl -n " + namespace + " describe pod " + podName + ")");
      }
      int restarts = s.getRestartCount() == null ? 0 : s.getRestartCount();
      ContainerStateTerminated last = s.getLastState() == null ? null : s.getLastState().getTerminated();
      boolean crashLoop = CRASH_LOOP.equals(reason) && (agent || restarts >= CRASH_RESTARTS);
      boolean failedRestarts = agent && restarts >= CRASH_RESTARTS && last != null && last.getExitCode() != null
          && last.getExitCode() != 0;
      if (crashLoop || failedRestarts) {
        String logs = "kubectl -n " + namespace + " logs " + podName + " -c " + s.getName() + " --previous";
        return new DevproxyException(ErrorCategory.CLUSTER, (agent ? "the agent on pod " + podName
            : "container " + s.getName() + " on pod " + podName) + " keeps crashing (" + crashDetails(restarts, last)
            + "); see '" + logs + "'");
      }
    }
    return null;
  }

  /** The scheduler's message while it cannot place {@code pod} (PodScheduled False, Unschedulable), else null. */
  static String unschedulable(Pod pod) {
    if (pod.getStatus() == null) {
      return null;
    }
    for (PodCondition c : orEmpty(pod.getStatus().getConditions())) {
      if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        String message = KubeClients.oneLine(c.getMessage());
        return message.isEmpty() ? "no node can run it" : message;
      }
    }
    return null;
  }

  /** The failure for a pod that stayed {@link #unschedulable}. */
  static DevproxyException unschedulableFailure(String namespace, Pod pod, String message) {
    String podName = pod.getMetadata().getName();
    String fix = message.contains("Insufficient")
        ? "free resources in the cluster or lower the pod's resource requests (the agent adds its own)"
        : "check the pod's node selector, affinity, tolerations and volumes";
    return new DevproxyException(ErrorCategory.CLUSTER, "pod " + podName + " cannot be scheduled: " + message
        + "; " + fix + " (kubectl -n " + namespace + " describe pod " + podName + ")");
  }

  // "Back-off pulling image" says only that the kubelet waits; the pull error itself is in the pod's Events.
  private static String pullError(KubernetesClient client, String namespace, String pod, String image,
      String message, String reason) throws DevproxyException {
    if (!message.isEmpty() && !message.startsWith("Back-off pulling image")) {
      return message;
    }
    List<Event> events = PodEvents.newestFirst(client, namespace, pod);
    Event event = PodEvents.first(events, e -> PodEvents.isWarning(e) && e.getMessage() != null
            && e.getMessage().contains(image))
        .or(() -> PodEvents.first(events, PodEvents::isWarning))
        .orElse(null);
    if (event != null && event.getMessage() != null && !event.getMessage().isBlank()) {
      return KubeClients.oneLine(event.getMessage());
    }
    return message.isEmpty() ? reason : message;
  }

  private static String crashDetails(int restarts, ContainerStateTerminated last) {
    StringBuilder b = new StringBuilder("restarted ").append(restarts).append(restarts == 1 ? " time" : " times");
    if (last != null) {
      b.append("; last exit code ").append(last.getExitCode());
      if (last.getReason() != null) {
        b.append(", ").append(last.getReason());
      }
      String message = KubeClients.oneLine(last.getMessage());
      if (!message.isEmpty()) {
        b.append(": ").append(message);
      }
    }
    return b.toString();
  }

  private static String image(Pod pod, ContainerStatus status) {
    if (pod.getSpec() != null) {
      String image = Stream.concat(orEmpty(pod.getSpec().getInitContainers()).stream(),
              orEmpty(pod.getSpec().getContainers()).stream())
          .filter(c -> status.getName().equals(c.getName())).map(Container::getImage)
          .filter(i -> i != null && !i.isEmpty()).findFirst().orElse(null);
      if (image != null) {
        return image;
      }
    }
    return status.getImage() == null ? "(unknown)" : status.getImage();
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}

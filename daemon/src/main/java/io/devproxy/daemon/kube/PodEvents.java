package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The core/v1 Events about one pod, where the kubelet and the scheduler say what the pod status leaves out (why
 * an image pull failed, whether the cluster autoscaler adds a node). Needs list on {@code events}.
 */
final class PodEvents {

  static final String WARNING = "Warning";

  private PodEvents() {}

  /** The Events about pod {@code pod}, newest first. */
  static List<Event> newestFirst(KubernetesClient client, String namespace, String pod) throws DevproxyException {
    List<Event> events = KubeCalls.call("list", "events", namespace, () -> client.v1().events()
        .inNamespace(namespace).withField("involvedObject.name", pod).list().getItems());
    // Filtered again: a server (or the mock) that ignores the field selector returns the whole namespace.
    return events.stream()
        .filter(e -> e.getInvolvedObject() != null && pod.equals(e.getInvolvedObject().getName())
            && (e.getInvolvedObject().getKind() == null || "Pod".equals(e.getInvolvedObject().getKind())))
        .sorted(Comparator.comparing(PodEvents::when).reversed())
        .toList();
  }

  /** The first of {@code newestFirst} that {@code filter} accepts. */
  static Optional<Event> first(List<Event> newestFirst, Predicate<Event> filter) {
    return newestFirst.stream().filter(filter).findFirst();
  }

  static boolean isWarning(Event e) {
    return WARNING.equals(e.getType());
  }

  /** When the Event last happened: lastTimestamp, else eventTime (events.k8s.io writers), else creation. */
  static Instant when(Event e) {
    for (String t : new String[] {
        e.getLastTimestamp(),
        e.getEventTime() == null ? null : e.getEventTime().getTime(),
        e.getFirstTimestamp(),
        e.getMetadata() == null ? null : e.getMetadata().getCreationTimestamp()}) {
      if (t != null && !t.isEmpty()) {
        try {
          return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException ignored) {
          // try the next field
        }
      }
    }
    return Instant.MIN;
  }
}

package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The agent's image pull Secrets in a pod template. Injection appends the ones the pod lacks and records, under
 * {@value #FIELD} of the {@link RestoreRecord}, {@code {"added": [names], "listWasNull": B}}; restore removes
 * exactly those names again. Entries the pod had before, or that someone adds meanwhile, stay where they are.
 */
final class ImagePullSecrets {

  static final String FIELD = "imagePullSecrets";

  private ImagePullSecrets() {}

  /**
   * Appends to {@code pod}'s imagePullSecrets (in place) each of {@code names} it does not have yet, and notes in
   * {@code record} what was added; notes nothing when nothing was.
   */
  static void add(PodSpec pod, List<String> names, RestoreRecord record) {
    List<LocalObjectReference> current = pod.getImagePullSecrets();
    List<LocalObjectReference> result = current == null ? new ArrayList<>() : new ArrayList<>(current);
    List<String> added = new ArrayList<>();
    for (String name : names) {
      if (result.stream().noneMatch(r -> name.equals(r.getName()))) {
        result.add(new LocalObjectReference(name));
        added.add(name);
      }
    }
    if (added.isEmpty()) {
      return;
    }
    pod.setImagePullSecrets(result);
    Map<String, Object> note = new LinkedHashMap<>();
    note.put("added", added);
    note.put("listWasNull", current == null);
    record.put(FIELD, note);
  }

  /** Removes from {@code pod}'s imagePullSecrets (in place) the Secrets {@code record} says injection added. */
  static void restore(PodSpec pod, RestoreRecord record) {
    if (!(record.get(FIELD) instanceof Map<?, ?> note) || !(note.get("added") instanceof List<?> added)) {
      return;
    }
    List<LocalObjectReference> result =
        pod.getImagePullSecrets() == null ? new ArrayList<>() : new ArrayList<>(pod.getImagePullSecrets());
    for (Object name : added) {
      // The entry injection appended is the last one of that name.
      for (int i = result.size() - 1; i >= 0; i--) {
        if (Objects.equals(String.valueOf(name), result.get(i).getName())) {
          result.remove(i);
          break;
        }
      }
    }
    pod.setImagePullSecrets(result.isEmpty() && Boolean.TRUE.equals(note.get("listWasNull")) ? null : result);
  }
}

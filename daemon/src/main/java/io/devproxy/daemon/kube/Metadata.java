package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;

/** Null-safe reads of an object's labels and annotations. */
final class Metadata {

  private Metadata() {}

  /** The annotation's value; null when the object, its annotations or the key are absent. */
  static String annotation(HasMetadata object, String key) {
    Map<String, String> annotations = object.getMetadata() == null ? null : object.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /** The label's value; null when the object, its labels or the key are absent. */
  static String label(HasMetadata object, String key) {
    Map<String, String> labels = object.getMetadata() == null ? null : object.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }
}

package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@value #ANNOTATION} annotation: what injection replaced in one object, as JSON, enough to put the
 * object back field for field from the annotation alone.
 *
 * <p>The JSON is an object whose keys are the replaced fields ({@code containers}, {@code volumes} of the pod
 * template, {@code ports} of a Service; a key is absent when the field was null), {@code imagePullSecrets} when
 * injection added some ({@link ImagePullSecrets}: those names, removed again on restore), plus {@code labels} and
 * {@code annotations}, each {@code {"key": K, "prior": V, "mapWasNull": B}} describing the one metadata key
 * devproxy set ({@code prior} absent when the key was absent). Keys the user adds meanwhile survive restore.
 */
final class RestoreRecord {

  static final String ANNOTATION = "devproxy.io/restore";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String DEVPROXY = "devproxy";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final Map<String, Object> fields;

  private RestoreRecord(Map<String, Object> fields) {
    this.fields = fields;
  }

  static RestoreRecord create() {
    return new RestoreRecord(new LinkedHashMap<>());
  }

  /** The record in {@code meta}'s annotation; null when the object carries none (never injected, or restored). */
  static RestoreRecord of(ObjectMeta meta) {
    String json = meta == null || meta.getAnnotations() == null ? null : meta.getAnnotations().get(ANNOTATION);
    if (json == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> fields = JSON.unmarshal(json, LinkedHashMap.class);
    return new RestoreRecord(fields);
  }

  /** Records {@code value} (a model object, a list of them, or a string) as the original of {@code field}. */
  RestoreRecord put(String field, Object value) {
    if (value != null) {
      fields.put(field, value);
    }
    return this;
  }

  /** The recorded value of {@code field} as JSON gave it back (a map, list, string, number or boolean); or null. */
  Object get(String field) {
    return fields.get(field);
  }

  String string(String field) {
    Object value = fields.get(field);
    return value == null ? null : value.toString();
  }

  /** The original list of {@code field} as a new mutable list; null when it was null. */
  <T> List<T> list(String field, Class<T[]> arrayType) {
    Object value = fields.get(field);
    return value == null ? null : new ArrayList<>(Arrays.asList(JSON.convertValue(value, arrayType)));
  }

  /**
   * Labels {@code meta} managed by devproxy and annotates it with this record, noting first what those two
   * keys held.
   */
  void writeTo(ObjectMeta meta) {
    fields.put("labels", prior(meta.getLabels(), MANAGED_BY));
    fields.put("annotations", prior(meta.getAnnotations(), ANNOTATION));
    String json = JSON.asJson(fields);
    meta.setLabels(put(meta.getLabels(), MANAGED_BY, DEVPROXY));
    meta.setAnnotations(put(meta.getAnnotations(), ANNOTATION, json));
  }

  /** Gives the managed-by label and the restore annotation of {@code meta} back what they held before. */
  void eraseFrom(ObjectMeta meta) {
    meta.setLabels(restore(meta.getLabels(), fields.get("labels")));
    meta.setAnnotations(restore(meta.getAnnotations(), fields.get("annotations")));
  }

  private static Map<String, Object> prior(Map<String, String> map, String key) {
    Map<String, Object> prior = new LinkedHashMap<>();
    prior.put("key", key);
    if (map != null && map.containsKey(key)) {
      prior.put("prior", map.get(key));
    }
    prior.put("mapWasNull", map == null);
    return prior;
  }

  private static Map<String, String> put(Map<String, String> map, String key, String value) {
    Map<String, String> result = map == null ? new LinkedHashMap<>() : new LinkedHashMap<>(map);
    result.put(key, value);
    return result;
  }

  private static Map<String, String> restore(Map<String, String> map, Object recorded) {
    if (!(recorded instanceof Map<?, ?> prior)) {
      return map;
    }
    Map<String, String> result = map == null ? new LinkedHashMap<>() : new LinkedHashMap<>(map);
    String key = String.valueOf(prior.get("key"));
    if (prior.containsKey("prior")) {
      result.put(key, String.valueOf(prior.get("prior")));
    } else {
      result.remove(key);
    }
    return result.isEmpty() && Boolean.TRUE.equals(prior.get("mapWasNull")) ? null : result;
  }
}

package io.devproxy.agent.janitor;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads the marks the daemon leaves on what it changes, and puts objects back from them, on JSON trees: pure
 * functions, inputs never modified.
 *
 * <p>The {@value #ANNOTATION} annotation is the daemon's {@code RestoreRecord}: a JSON object whose keys are the
 * replaced fields ({@code containers} and {@code volumes} of the pod template, {@code ports} of a Service; absent
 * when the field was null), {@code imagePullSecrets} when injection added some ({@code {"added": [names],
 * "listWasNull": B}}: those are removed again), {@code service}, for a swap {@code mode: swap}, {@code session} and
 * {@code container}, and {@code labels} and {@code annotations}, each {@code {"key": K, "prior": V,
 * "mapWasNull": B}} describing the one metadata key devproxy set. Restoring here gives, field for field, what the
 * daemon's {@code SidecarInjection.restore} gives (the janitor's golden tests check it on objects the daemon's
 * own injection wrote): keys users added meanwhile survive.
 *
 * <p>Shadow copies carry the labels {@value #MANAGED_BY}{@code : devproxy} and {@value #SHADOW_LABEL} and the
 * annotations {@value #SHADOW_OF} and {@value #SESSION}, as the daemon's {@code ShadowInjection} writes them.
 */
final class RestoreRecords {

  static final String ANNOTATION = "devproxy.io/restore";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String DEVPROXY = "devproxy";
  static final String SHADOW_LABEL = "devproxy.io/shadow";
  static final String SHADOW_OF = "devproxy.io/shadow-of";
  static final String SESSION = "devproxy.io/session";
  private static final String SWAP = "swap";

  private final JsonMapper json;

  RestoreRecords(JsonMapper json) {
    this.json = json;
  }

  /** Whether devproxy changed {@code object} and recorded what it replaced. */
  boolean isInjected(JsonNode object) {
    return record(object) != null;
  }

  /** Whether devproxy swapped the workload's container for the agent. */
  boolean isSwapped(JsonNode workload) {
    return SWAP.equals(string(record(workload), "mode"));
  }

  /** The session that swapped {@code workload}; null when not swapped or none was recorded. */
  String swapSession(JsonNode workload) {
    ObjectNode record = record(workload);
    return SWAP.equals(string(record, "mode")) ? string(record, "session") : null;
  }

  /** The Service whose port an injected workload was patched for; null when not injected. */
  String interceptedService(JsonNode workload) {
    return string(record(workload), "service");
  }

  /** Whether {@code object} is a shadow copy devproxy made (Deployment or Service). */
  static boolean isShadow(JsonNode object) {
    JsonNode labels = object.path("metadata").path("labels");
    return DEVPROXY.equals(labels.path(MANAGED_BY).asString(null)) && labels.has(SHADOW_LABEL)
        && annotation(object, SHADOW_OF) != null;
  }

  /** The session recorded on a shadow object; null when none. */
  static String shadowSession(JsonNode object) {
    return annotation(object, SESSION);
  }

  /** {@code patched} as it was before injection (a copy): containers, volumes, labels and annotations. */
  ObjectNode restoreWorkload(JsonNode patched) {
    ObjectNode copy = (ObjectNode) patched.deepCopy();
    ObjectNode record = record(copy);
    if (record != null) {
      ObjectNode pod = child(child(child(copy, "spec"), "template"), "spec");
      replace(pod, "containers", record.get("containers"));
      replace(pod, "volumes", record.get("volumes"));
      removeAdded(pod, record.get("imagePullSecrets"));
      erase(copy, record);
    }
    return copy;
  }

  /** {@code patched} with its original ports (a copy), labels and annotations. */
  ObjectNode restoreService(JsonNode patched) {
    ObjectNode copy = (ObjectNode) patched.deepCopy();
    ObjectNode record = record(copy);
    if (record != null) {
      replace(child(copy, "spec"), "ports", record.get("ports"));
      erase(copy, record);
    }
    return copy;
  }

  /** The parsed record; null when there is none (or it is not a JSON object). */
  private ObjectNode record(JsonNode object) {
    String text = annotation(object, ANNOTATION);
    if (text == null) {
      return null;
    }
    try {
      JsonNode record = json.readTree(text);
      return record instanceof ObjectNode o ? o : null;
    } catch (JacksonException e) {
      return null;
    }
  }

  private static String annotation(JsonNode object, String key) {
    JsonNode value = object.path("metadata").path("annotations").get(key);
    return value == null || !value.isString() ? null : value.stringValue();
  }

  private static String string(ObjectNode record, String field) {
    JsonNode value = record == null ? null : record.get(field);
    return value == null || value.isNull() ? null : value.isString() ? value.stringValue() : value.toString();
  }

  /** Sets {@code field} to a copy of {@code original}, or removes it when the original was null. */
  private static void replace(ObjectNode parent, String field, JsonNode original) {
    if (original == null || original.isNull()) {
      parent.remove(field);
    } else {
      parent.set(field, original.deepCopy());
    }
  }

  /**
   * Removes from the pod's {@code imagePullSecrets} the names injection added ({@code {"added": [names], ...}}),
   * the last entry of each name, as the daemon's {@code ImagePullSecrets.restore} does.
   */
  private static void removeAdded(ObjectNode pod, JsonNode note) {
    if (note == null || !note.path("added").isArray()) {
      return;
    }
    JsonNode current = pod.get("imagePullSecrets");
    ArrayNode result = current instanceof ArrayNode a ? a.deepCopy() : pod.arrayNode();
    for (JsonNode name : note.get("added")) {
      for (int i = result.size() - 1; i >= 0; i--) {
        if (text(name).equals(result.get(i).path("name").asString(null))) {
          result.remove(i);
          break;
        }
      }
    }
    if (result.isEmpty()) {
      // An empty list and none are the same pod spec to the API server (omitempty).
      pod.remove("imagePullSecrets");
    } else {
      pod.set("imagePullSecrets", result);
    }
  }

  /** Gives the managed-by label and the restore annotation back what they held before. */
  private static void erase(ObjectNode object, ObjectNode record) {
    ObjectNode meta = child(object, "metadata");
    restoreKey(meta, "labels", record.get("labels"));
    restoreKey(meta, "annotations", record.get("annotations"));
  }

  private static void restoreKey(ObjectNode meta, String mapField, JsonNode prior) {
    if (prior == null || !prior.isObject()) {
      return;
    }
    JsonNode current = meta.get(mapField);
    ObjectNode map = current instanceof ObjectNode o ? o.deepCopy() : meta.objectNode();
    String key = text(prior.get("key"));
    if (prior.has("prior")) {
      map.put(key, text(prior.get("prior")));
    } else {
      map.remove(key);
    }
    JsonNode mapWasNull = prior.get("mapWasNull");
    if (map.isEmpty() && mapWasNull != null && mapWasNull.isBoolean() && mapWasNull.booleanValue()) {
      meta.remove(mapField);
    } else {
      meta.set(mapField, map);
    }
  }

  /** As the daemon's {@code String.valueOf} of the deserialized value. */
  private static String text(JsonNode node) {
    return node == null || node.isNull() ? "null" : node.isString() ? node.stringValue() : node.toString();
  }

  private static ObjectNode child(ObjectNode parent, String field) {
    JsonNode child = parent.get(field);
    if (child instanceof ObjectNode o) {
      return o;
    }
    return parent.putObject(field);
  }
}

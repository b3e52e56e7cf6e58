package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a developer's header routes: for each original {@code Mapping} that routes to the intercepted Service, a
 * clone that matches the original's requests plus the header {@code x-devproxy-session: <key>}, at a higher
 * {@code precedence}. Pure: no API calls; the caller creates (and later deletes) the clones.
 *
 * <p>The clone keeps the original's {@code apiVersion} (v2 or v3alpha1; the shapes differ only in value types,
 * which are copied as they are), namespace and labels, and adds:
 * <ul>
 *   <li>name {@code <original>-devproxy-<key>-<hash>}, at most 63 characters (the readable part is truncated when
 *       long; the hash of original name and key keeps it unique and stable);</li>
 *   <li>labels {@code app.kubernetes.io/managed-by: devproxy}, {@code devproxy.io/session: <session id>};</li>
 *   <li>annotation {@code devproxy.io/clone-of: <original name>}.</li>
 * </ul>
 *
 * <p>Spec: the fields in {@link #COPIED_FIELDS} are copied verbatim: they describe how a matched request is handled
 * (rewrite, timeouts, CORS, retries, TLS origination, upstream cluster settings...) or further narrow the match
 * (host, method, query, regex headers), so the clone behaves exactly like the original for the developer's
 * requests. Emissary sorts routes by [precedence, prefix length, header-match length...], first match wins, and
 * counts {@code host}/{@code hostname} as an {@code :authority} match: keeping the original's prefix, host and
 * header matches and adding one header at precedence + 1 puts the clone first for exactly the developer's share
 * of the original's traffic. {@code headers} gets the session header added; {@code precedence} becomes the
 * original's + 1 (absent = 0); {@code service} stays (sidecar: the agent matches the header) or points at the
 * shadow Service in the same form and port (shadow).
 *
 * <p>{@code weight} is dropped: Emissary weight-splits only Mappings with identical method, prefix, headers and
 * precedence. The clone has its own headers and precedence, so it never shares a group with the original or its
 * canary siblings; a copied weight (say 10 of a canary) would only send that share of the developer's requests
 * to the clone and the rest to an implicit remainder, whereas a header route must take all of them.
 *
 * <p>Any other spec field (redirects, {@code shadow}, {@code envoy_override}, {@code modules}, or one newer than
 * this code) fails the whole batch with a {@link ErrorCategory#USER} error that names the Mapping and the field:
 * devproxy would rather create no route than one that behaves differently from the original.
 */
public final class HeaderRoutes {

  /** The header a developer's requests carry; Envoy matches header names case-insensitively. */
  public static final String SESSION_HEADER = "x-devproxy-session";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String DEVPROXY = "devproxy";
  public static final String SESSION_LABEL = "devproxy.io/session";
  public static final String CLONE_OF = "devproxy.io/clone-of";

  /** Spec fields copied verbatim; see the class Javadoc. {@code headers}, {@code precedence} are rewritten. */
  static final Set<String> COPIED_FIELDS = Set.of(
      // matching
      "prefix", "prefix_regex", "prefix_exact", "case_sensitive", "host", "hostname", "host_regex",
      "regex_headers", "v2BoolHeaders", "method", "method_regex",
      "query_parameters", "regex_query_parameters", "v2BoolQueryParameters", "ambassador_id",
      // request and response handling
      "rewrite", "regex_rewrite", "host_rewrite", "auto_host_rewrite", "grpc", "allow_upgrade", "use_websocket",
      "add_request_headers", "add_response_headers", "remove_request_headers", "remove_response_headers",
      "add_linkerd_headers", "cors", "retry_policy", "timeout_ms", "idle_timeout_ms", "bypass_auth",
      "auth_context_extensions", "error_response_overrides", "bypass_error_response_overrides", "labels", "docs",
      "stats_name", "v3StatsName",
      // the upstream cluster
      "service", "tls", "v2ExplicitTLS", "connect_timeout_ms", "cluster_idle_timeout_ms",
      "cluster_max_connection_lifetime_ms", "cluster_tag", "circuit_breakers", "load_balancer", "keepalive",
      "resolver", "dns_type", "respect_dns_ttl", "enable_ipv4", "enable_ipv6", "priority", "outlier_detection",
      "health_checks", "v3health_checks");

  private static final Pattern KEY = Pattern.compile("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?");
  private static final int MAX_NAME = 63;
  private static final int HASH_CHARS = 6;

  private final String key;
  private final String sessionId;

  /**
   * @param key the developer's key: the header value and part of each clone's name (1-32 characters of
   *     {@code [a-z0-9-]}, starting and ending alphanumeric)
   * @param sessionId the session the clones belong to (label value)
   */
  public HeaderRoutes(String key, String sessionId) {
    requireNonNull(key, "key");
    requireNonNull(sessionId, "sessionId");
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("key: " + key + " (expected: 1-32 of [a-z0-9-], alphanumeric at both ends)");
    }
    this.key = key;
    this.sessionId = sessionId;
  }

  /**
   * Sidecar (and swap) mode: clones that keep the original {@code service}; the agent there matches the header.
   *
   * @throws DevproxyException (USER) when any original has a field devproxy cannot clone faithfully; none is cloned
   */
  public List<GenericKubernetesResource> sidecar(List<GenericKubernetesResource> originals) throws DevproxyException {
    return cloneAll(originals, null);
  }

  /**
   * Shadow mode: clones whose {@code service} names {@code shadowService} in the original's form and port.
   *
   * @throws DevproxyException (USER) when any original has a field devproxy cannot clone faithfully; none is cloned
   */
  public List<GenericKubernetesResource> shadow(List<GenericKubernetesResource> originals, String shadowService)
      throws DevproxyException {
    return cloneAll(originals, requireNonNull(shadowService, "shadowService"));
  }

  private List<GenericKubernetesResource> cloneAll(List<GenericKubernetesResource> originals, String shadowService)
      throws DevproxyException {
    requireNonNull(originals, "originals");
    for (GenericKubernetesResource original : originals) {
      check(original);
    }
    List<GenericKubernetesResource> clones = new ArrayList<>();
    for (GenericKubernetesResource original : originals) {
      clones.add(clone(original, shadowService));
    }
    return List.copyOf(clones);
  }

  /** The clone's name for an original Mapping named {@code original}; at most 63 characters. */
  public String cloneName(String original) {
    requireNonNull(original, "original");
    String hash = hash(original + "\n" + key);
    String readable = original + "-devproxy-" + key;
    int room = MAX_NAME - 1 - HASH_CHARS;
    if (readable.length() > room) {
      readable = readable.substring(0, room).replaceAll("[-.]+$", "");
    }
    return readable + "-" + hash;
  }

  private static void check(GenericKubernetesResource original) throws DevproxyException {
    MappingApi.of(original.getApiVersion());
    if (!MappingApi.KIND.equals(original.getKind())) {
      throw new IllegalArgumentException("kind: " + original.getKind() + " (expected: Mapping)");
    }
    Map<String, Object> spec = spec(original);
    for (String field : spec.keySet()) {
      if (!COPIED_FIELDS.contains(field) && !field.equals("headers") && !field.equals("precedence")
          && !field.equals("weight")) {
        throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original) + " has field '" + field
            + "' devproxy cannot clone faithfully; nothing was cloned. Intercept without Ambassador header routes,"
            + " or remove the field from the Mapping");
      }
    }
    Object headers = spec.get("headers");
    if (headers != null && !(headers instanceof Map)) {
      throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original)
          + " has a 'headers' field that is not a map; nothing was cloned");
    }
    if (headers instanceof Map<?, ?> map
        && map.keySet().stream().anyMatch(k -> SESSION_HEADER.equalsIgnoreCase(String.valueOf(k)))) {
      throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original) + " already matches header '"
          + SESSION_HEADER + "'; nothing was cloned. Is it a devproxy route made by hand?");
    }
    Object precedence = spec.get("precedence");
    if (precedence != null && !(precedence instanceof Number)) {
      throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original) + " has a 'precedence' that is not"
          + " an integer: " + precedence + "; nothing was cloned");
    }
    if (serviceRef(spec).isEmpty()) {
      throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original) + " has service '"
          + spec.get("service") + "', which names no Kubernetes Service; nothing was cloned");
    }
  }

  private GenericKubernetesResource clone(GenericKubernetesResource original, String shadowService) {
    Map<String, Object> spec = spec(original);
    Map<String, Object> cloned = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : spec.entrySet()) {
      String field = e.getKey();
      if (field.equals("weight")) {
        continue;
      }
      if (field.equals("headers") || field.equals("precedence")) {
        cloned.put(field, null); // keeps the original's field order; filled below
        continue;
      }
      cloned.put(field, deepCopy(e.getValue()));
    }
    Map<String, Object> headers = new LinkedHashMap<>();
    if (spec.get("headers") instanceof Map<?, ?> originalHeaders) {
      originalHeaders.forEach((k, v) -> headers.put(String.valueOf(k), deepCopy(v)));
    }
    headers.put(SESSION_HEADER, key);
    cloned.put("headers", headers);
    long precedence = spec.get("precedence") instanceof Number n ? n.longValue() : 0;
    cloned.put("precedence", precedence + 1);
    if (shadowService != null) {
      cloned.put("service", serviceRef(spec).orElseThrow().withName(shadowService).toString());
    }

    ObjectMeta meta = original.getMetadata();
    Map<String, String> labels = new LinkedHashMap<>();
    if (meta.getLabels() != null) {
      labels.putAll(meta.getLabels()); // Emissary may watch only labelled resources (AMBASSADOR_LABEL_SELECTOR)
    }
    labels.put(MANAGED_BY, DEVPROXY);
    labels.put(SESSION_LABEL, sessionId);
    GenericKubernetesResource clone = new GenericKubernetesResource();
    clone.setApiVersion(original.getApiVersion());
    clone.setKind(MappingApi.KIND);
    clone.setMetadata(new ObjectMetaBuilder()
        .withName(cloneName(meta.getName()))
        .withNamespace(meta.getNamespace())
        .withLabels(labels)
        .withAnnotations(Map.of(CLONE_OF, meta.getName()))
        .build());
    clone.setAdditionalProperty("spec", cloned);
    return clone;
  }

  private static Optional<ServiceRef> serviceRef(Map<String, Object> spec) {
    return spec.get("service") instanceof String s ? ServiceRef.parse(s) : Optional.empty();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> spec(GenericKubernetesResource mapping) {
    Object spec = mapping.getAdditionalProperties().get("spec");
    if (!(spec instanceof Map)) {
      throw new IllegalArgumentException("Mapping " + id(mapping) + " has no spec");
    }
    return (Map<String, Object>) spec;
  }

  static String id(GenericKubernetesResource mapping) {
    return mapping.getMetadata().getNamespace() + "/" + mapping.getMetadata().getName();
  }

  private static Object deepCopy(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), deepCopy(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      list.forEach(v -> copy.add(deepCopy(v)));
      return copy;
    }
    return value; // String, Number, Boolean, null: immutable
  }

  private static String hash(String s) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS).toLowerCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}

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
 * What the routes devproxy derives from a user's {@code Mapping} ({@link HeaderRoutes}, {@link PreviewRoutes})
 * share: which spec fields are understood, the checks every original passes first, names, and metadata.
 */
final class MappingCopies {

  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String DEVPROXY = "devproxy";
  static final String SESSION_LABEL = "devproxy.io/session";
  static final String CLONE_OF = "devproxy.io/clone-of";

  /**
   * Spec fields copied verbatim: they describe how a matched request is handled (rewrite, timeouts, CORS,
   * retries, TLS origination, upstream cluster settings...) or further narrow the match (host, method, query,
   * regex headers), so a copy behaves exactly like the original for the requests it matches.
   */
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

  /** Spec fields every copy rewrites rather than copies. */
  static final Set<String> REWRITTEN_FIELDS = Set.of("headers", "precedence", "weight");

  /** A developer's key, as {@code intercept --key} accepts it (a header value and a baggage value as it is). */
  static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final int NAME_KEY_CHARS = 32;

  private static final int MAX_NAME = 63;
  private static final int HASH_CHARS = 6;

  private MappingCopies() {}

  static String checkKey(String key) {
    requireNonNull(key, "key");
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("key: " + key + " (expected: 1-63 of letters, digits, '.', '_', '-')");
    }
    return key;
  }

  /**
   * The key as part of an object name or DNS label: lower case, anything but {@code [a-z0-9-]} turned into
   * {@code -}, at most 32 characters, alphanumeric at both ends ({@code John.Doe_2} → {@code john-doe-2}). Names
   * also carry a hash of the key itself, so two keys that read alike here still name different objects.
   */
  static String nameSafe(String key) {
    String safe = checkKey(key).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    if (safe.length() > NAME_KEY_CHARS) {
      safe = safe.substring(0, NAME_KEY_CHARS);
    }
    safe = safe.replaceAll("^-+|-+$", "");
    return safe.isEmpty() ? "key" : safe;
  }

  /**
   * Checks what every copy needs of an original: a Mapping whose spec has only understood fields, a numeric
   * {@code precedence}, map-valued {@code headers} and a {@code service} that names a Kubernetes Service.
   *
   * @throws DevproxyException USER naming the Mapping and the field
   */
  static void check(GenericKubernetesResource original) throws DevproxyException {
    AmbassadorApi.of(original.getApiVersion());
    if (!AmbassadorApi.MAPPING_KIND.equals(original.getKind())) {
      throw new IllegalArgumentException("kind: " + original.getKind() + " (expected: Mapping)");
    }
    Map<String, Object> spec = spec(original);
    for (String field : spec.keySet()) {
      if (!COPIED_FIELDS.contains(field) && !REWRITTEN_FIELDS.contains(field)) {
        throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original) + " has field '" + field
            + "' devproxy cannot clone faithfully; nothing was cloned. Intercept without Ambassador routes,"
            + " or remove the field from the Mapping");
      }
    }
    for (String field : List.of("headers", "regex_headers", "add_request_headers")) {
      Object value = spec.get(field);
      if (value != null && !(value instanceof Map)) {
        throw new DevproxyException(ErrorCategory.USER, "Mapping " + id(original) + " has a '" + field
            + "' field that is not a map; nothing was cloned");
      }
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

  /** Whether {@code map} has the key {@code name}, ignoring case (header names). */
  static boolean hasName(Object map, String name) {
    return map instanceof Map<?, ?> m && m.keySet().stream().anyMatch(k -> name.equalsIgnoreCase(String.valueOf(k)));
  }

  /** The original's precedence (absent = 0) plus one. */
  static long precedenceAbove(Map<String, Object> spec) {
    return (spec.get("precedence") instanceof Number n ? n.longValue() : 0) + 1;
  }

  static Optional<ServiceRef> serviceRef(Map<String, Object> spec) {
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

  /**
   * {@code readable-<hash>}, at most 63 characters: the readable part is truncated when long; the hash of
   * {@code identity} keeps names unique and stable.
   */
  static String name(String readable, String identity) {
    String hash = sha256Hex(identity).substring(0, HASH_CHARS);
    int room = MAX_NAME - 1 - HASH_CHARS;
    if (readable.length() > room) {
      readable = readable.substring(0, room).replaceAll("[-.]+$", "");
    }
    return readable + "-" + hash;
  }

  /**
   * A devproxy object's metadata in {@code namespace}: {@code labels} (the original's, kept because Emissary may
   * watch only labelled resources: {@code AMBASSADOR_LABEL_SELECTOR}) plus the managed-by and session labels
   * and {@code extraLabels}.
   */
  static ObjectMeta metadata(String name, String namespace, Map<String, String> labels, String sessionId,
      Map<String, String> extraLabels, Map<String, String> annotations) {
    Map<String, String> all = new LinkedHashMap<>();
    if (labels != null) {
      all.putAll(labels);
    }
    all.put(MANAGED_BY, DEVPROXY);
    all.put(SESSION_LABEL, sessionId);
    all.putAll(extraLabels);
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(all)
        .withAnnotations(new LinkedHashMap<>(annotations))
        .build();
  }

  static GenericKubernetesResource resource(String apiVersion, String kind, ObjectMeta meta,
      Map<String, Object> spec) {
    GenericKubernetesResource resource = new GenericKubernetesResource();
    resource.setApiVersion(apiVersion);
    resource.setKind(kind);
    resource.setMetadata(meta);
    resource.setAdditionalProperty("spec", spec);
    return resource;
  }

  static Object deepCopy(Object value) {
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

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}

package io.devproxy.e2e.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.ambassador.AmbassadorApi;
import io.devproxy.daemon.ambassador.ServiceRef;
import io.devproxy.e2e.ambassador.EmissaryRoute.AddedHeader;
import io.devproxy.e2e.ambassador.EmissaryRoute.HeaderMatch;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one {@code Mapping}'s spec (v2 or v3alpha1) the way Emissary does, refusing what {@link HaproxyEdge} cannot
 * reproduce, so a test never passes on routing Emissary would not do.
 *
 * <p>Matching, as Emissary hands it to Envoy: {@code prefix} (the path begins with it, case-sensitive); {@code host}
 * and {@code hostname} become an exact {@code :authority} match, like a {@code headers} entry {@code :authority};
 * {@code headers} entries match exactly, or by presence for a v2 {@code true} value (and v3alpha1's
 * {@code v2BoolHeaders}); {@code regex_headers} match the whole value; {@code method} becomes a {@code :method}
 * match. {@code *} or no host matches any host. Host matches compare the request's Host or {@code :authority}
 * without its port, ignoring case.
 *
 * <p>Actions: {@code rewrite} replaces the matched prefix (absent: {@code /}, Emissary's default; {@code ""} or null:
 * the path is sent as it is); {@code add_request_headers} ({@code value} or {@code {value, append}}, append by
 * default, as Emissary does); {@code grpc} (true, or the string {@code True} that fabric8's YAML 1.2 reads) sends
 * HTTP/2 without TLS upstream, else HTTP/1.1; {@code service} is parsed with {@link ServiceRef}.
 *
 * <p>Ignored: the fields in {@link #NO_EFFECT}, which change neither which route matches nor the request the
 * upstream sees, {@code precedence} aside, and {@code weight}: Mappings that differ only by weight share one route in
 * Emissary and split its traffic; here the first of them in {@link EmissaryRoute#EMISSARY_ORDER} takes it all. Any
 * other field whose value is not inert (null, false, empty) throws {@link UnsupportedOperationException} naming it:
 * {@code prefix_regex}, {@code prefix_exact}, {@code host_regex}, {@code method_regex}, {@code case_sensitive: false},
 * query parameters, {@code host_rewrite}, {@code regex_rewrite}, redirects, {@code cors}, TLS origination...
 */
final class MappingSpec {

  /** Spec fields that neither change which route matches nor the request the upstream sees. */
  static final Set<String> NO_EFFECT = Set.of(
      "ambassador_id", "labels", "docs", "stats_name", "v3StatsName", "timeout_ms", "idle_timeout_ms",
      "connect_timeout_ms", "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms", "circuit_breakers",
      "load_balancer", "keepalive", "retry_policy", "outlier_detection", "health_checks", "v3health_checks",
      "resolver", "dns_type", "respect_dns_ttl", "enable_ipv4", "enable_ipv6", "cluster_tag", "priority",
      "bypass_auth", "auth_context_extensions", "bypass_error_response_overrides", "allow_upgrade", "use_websocket",
      "v2ExplicitTLS", "weight");

  private static final Set<String> IMPLEMENTED = Set.of(
      "prefix", "host", "hostname", "headers", "regex_headers", "v2BoolHeaders", "method", "rewrite",
      "add_request_headers", "grpc", "service", "precedence", "case_sensitive");

  private static final Pattern HEADER_NAME = Pattern.compile("[a-z0-9_.-]+");

  private final String id;
  private final Map<?, ?> spec;

  private MappingSpec(String id, Map<?, ?> spec) {
    this.id = id;
    this.spec = spec;
  }

  /**
   * @throws UnsupportedOperationException when the Mapping has a field, or a value, HaproxyEdge cannot reproduce
   * @throws IllegalArgumentException when it is not a Mapping Emissary would accept
   */
  static MappingSpec of(GenericKubernetesResource mapping) {
    requireNonNull(mapping, "mapping");
    String id = mapping.getMetadata().getNamespace() + "/" + mapping.getMetadata().getName();
    AmbassadorApi.of(mapping.getApiVersion());
    if (!AmbassadorApi.MAPPING_KIND.equals(mapping.getKind())) {
      throw new IllegalArgumentException("kind: " + mapping.getKind() + " (expected: Mapping)");
    }
    if (!(mapping.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)) {
      throw new IllegalArgumentException("Mapping " + id + " has no spec");
    }
    MappingSpec s = new MappingSpec(id, spec);
    spec.forEach((field, value) -> {
      if (!IMPLEMENTED.contains(field) && !NO_EFFECT.contains(field) && !inert(value)) {
        throw s.unsupported(String.valueOf(field), value);
      }
    });
    if (!s.flag("case_sensitive", spec.get("case_sensitive"), true)) {
      throw s.unsupported("case_sensitive", spec.get("case_sensitive"));
    }
    return s;
  }

  /** {@code namespace/name}. */
  String id() {
    return id;
  }

  long precedence() {
    Object precedence = spec.get("precedence");
    if (precedence != null && !(precedence instanceof Number)) {
      throw new IllegalArgumentException("Mapping " + id + ": precedence " + precedence + " (expected: an integer)");
    }
    return precedence == null ? 0 : ((Number) precedence).longValue();
  }

  String prefix() {
    String prefix = string("prefix");
    if (prefix == null || !prefix.startsWith("/")) {
      throw new IllegalArgumentException("Mapping " + id + ": prefix " + prefix + " (expected: a path)");
    }
    return prefix;
  }

  /** The header matches in the order Emissary lists them: headers, regex_headers, host, method. */
  List<HeaderMatch> headers() {
    List<HeaderMatch> headers = new ArrayList<>();
    map("headers").forEach((name, value) -> headers.add(Boolean.TRUE.equals(value)
        ? new HeaderMatch(headerName("headers", name), null, HeaderMatch.Kind.PRESENT)
        : new HeaderMatch(headerName("headers", name), exactValue(name, value), HeaderMatch.Kind.EXACT)));
    list("v2BoolHeaders").forEach(name ->
        headers.add(new HeaderMatch(headerName("v2BoolHeaders", name), null, HeaderMatch.Kind.PRESENT)));
    map("regex_headers").forEach((name, value) -> headers.add(
        new HeaderMatch(headerName("regex_headers", name), String.valueOf(value), HeaderMatch.Kind.REGEX)));
    for (String field : List.of("host", "hostname")) {
      String host = string(field);
      if (host != null && !host.equals("*")) {
        headers.add(new HeaderMatch(":authority", host(field, host), HeaderMatch.Kind.EXACT));
      }
    }
    String method = string("method");
    if (method != null) {
      headers.add(new HeaderMatch(":method", method.toUpperCase(Locale.ROOT), HeaderMatch.Kind.EXACT));
    }
    return List.copyOf(headers);
  }

  /** What replaces the matched prefix, or null to send the path as it is. */
  String rewrite() {
    String rewrite = spec.containsKey("rewrite") ? string("rewrite") : "/";
    return rewrite == null || rewrite.isEmpty() ? null : rewrite;
  }

  List<AddedHeader> addedHeaders() {
    List<AddedHeader> added = new ArrayList<>();
    map("add_request_headers").forEach((name, value) -> added.add(addedHeader(name, value)));
    return List.copyOf(added);
  }

  boolean grpc() {
    return flag("grpc", spec.get("grpc"), false);
  }

  ServiceRef service() {
    String service = string("service");
    ServiceRef ref = ServiceRef.parse(service).orElseThrow(() -> new IllegalArgumentException(
        "Mapping " + id + ": service " + service + " names no Kubernetes Service"));
    if ("https".equals(ref.scheme())) {
      throw unsupported("service", service + " (TLS origination)");
    }
    return ref;
  }

  private static boolean inert(Object value) {
    return value == null || Boolean.FALSE.equals(value) || "false".equalsIgnoreCase(String.valueOf(value))
        || "".equals(value) || (value instanceof Map<?, ?> m && m.isEmpty())
        || (value instanceof Collection<?> c && c.isEmpty());
  }

  // YAML 1.1's True/False arrive as strings through fabric8's YAML 1.2 parser; the API server would store booleans.
  private boolean flag(String field, Object value, boolean absent) {
    if (value == null) {
      return absent;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String text && (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false"))) {
      return text.equalsIgnoreCase("true");
    }
    throw new IllegalArgumentException("Mapping " + id + ": " + field + " " + value + " (expected: a boolean)");
  }

  private String string(String field) {
    Object value = spec.get(field);
    if (value != null && !(value instanceof String)) {
      throw new IllegalArgumentException("Mapping " + id + ": " + field + " " + value + " (expected: a string)");
    }
    return (String) value;
  }

  private Map<?, ?> map(String field) {
    Object value = spec.get(field);
    if (value != null && !(value instanceof Map)) {
      throw new IllegalArgumentException("Mapping " + id + ": " + field + " " + value + " (expected: a map)");
    }
    return value == null ? Map.of() : (Map<?, ?>) value;
  }

  private List<?> list(String field) {
    Object value = spec.get(field);
    if (value != null && !(value instanceof List)) {
      throw new IllegalArgumentException("Mapping " + id + ": " + field + " " + value + " (expected: a list)");
    }
    return value == null ? List.of() : (List<?>) value;
  }

  private String headerName(String field, Object name) {
    String lower = String.valueOf(name).toLowerCase(Locale.ROOT);
    if (lower.equals(":authority")) {
      return lower;
    }
    if (lower.startsWith(":") || lower.equals("host")) {
      throw unsupported(field + "." + name, "(a pseudo-header other than :authority)");
    }
    if (!HEADER_NAME.matcher(lower).matches()) {
      throw new IllegalArgumentException("Mapping " + id + ": header " + name + " in " + field
          + " (expected: [a-z0-9_.-], what HaproxyEdge can write unquoted)");
    }
    return lower;
  }

  private String exactValue(Object name, Object value) {
    String text = String.valueOf(value);
    return ":authority".equalsIgnoreCase(String.valueOf(name)) ? host("headers.:authority", text) : text;
  }

  private String host(String field, String host) {
    if (host.contains("*") || host.contains(":")) {
      throw unsupported(field, host + " (a host glob or a host with a port)");
    }
    return host.toLowerCase(Locale.ROOT);
  }

  private AddedHeader addedHeader(Object name, Object header) {
    String field = "add_request_headers." + name;
    Object value = header instanceof Map<?, ?> m ? m.get("value") : header;
    boolean append = !(header instanceof Map<?, ?> m) || flag(field + ".append", m.get("append"), true);
    if (value == null || value instanceof Map || value instanceof List) {
      throw new IllegalArgumentException("Mapping " + id + ": " + field + " " + header + " (expected: a value)");
    }
    if (String.valueOf(value).contains("%")) {
      throw unsupported(field, value + " (Envoy substitutes %...% in added headers)");
    }
    if (String.valueOf(name).startsWith(":")) {
      throw unsupported(field, value + " (a pseudo-header)");
    }
    return new AddedHeader(headerName("add_request_headers", name), String.valueOf(value), append);
  }

  private UnsupportedOperationException unsupported(String field, Object value) {
    return new UnsupportedOperationException("Mapping " + id + ": '" + field + ": " + value
        + "' is not reproduced by HaproxyEdge; a test on it would not route as Emissary does");
  }
}

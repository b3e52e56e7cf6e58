package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a developer's preview routes: Mappings for a host of their own (say
 * {@code alice-orders.preview.example.com}) that route like the Service's own Mappings and add the session header,
 * so that a teammate's browser, which sends no header, sees the developer's local build. Pure: no API calls.
 *
 * <p>For each original Mapping that routes to the intercepted Service, a copy that:
 * <ul>
 *   <li>matches the preview host instead of the original's host ({@code host} in v2, {@code hostname} in
 *       v3alpha1; the original's {@code host}, {@code hostname}, {@code host_regex} and {@code :authority} or
 *       {@code host} entries of {@code headers} and {@code regex_headers} are left out), and otherwise the same
 *       requests (prefix, other headers, method...);</li>
 *   <li>adds {@code x-devproxy-session: <key>} (replacing any the client sent) and a {@code baggage} header with the
 *       member {@code devproxy-session=<key>} (appended to the client's baggage) through
 *       {@code add_request_headers}: the agent routes on either, and services that propagate W3C baggage carry the
 *       session on to the services they call;</li>
 *   <li>keeps every other field ({@link MappingCopies#COPIED_FIELDS}: {@code grpc}, {@code rewrite}, timeouts,
 *       {@code ambassador_id}...), drops {@code weight} (see {@link HeaderRoutes}), takes {@code precedence} + 1,
 *       and points {@code service} at the shadow Service in shadow mode.</li>
 * </ul>
 * A Service no Mapping routes to gets one Mapping: prefix {@code /} on the preview host to the Service port, as
 * gRPC ({@code grpc: true}) when the port's {@code appProtocol} or name says so.
 *
 * <p>Names are {@code <original>-preview-<key>-<hash>} (hash of original, host and key); labels are the original's
 * plus {@code app.kubernetes.io/managed-by: devproxy}, {@code devproxy.io/session: <session id>} and
 * {@value #PREVIEW_LABEL}{@code : "true"}; annotations {@code devproxy.io/clone-of} and {@value #PREVIEW_HOST}.
 */
public final class PreviewRoutes {

  /** Annotation: the preview host a Mapping or Host serves. */
  public static final String PREVIEW_HOST = "devproxy.io/preview-host";
  /** Label {@code "true"} on preview Mappings and Hosts (header routes do not carry it). */
  public static final String PREVIEW_LABEL = "devproxy.io/preview";
  /** The W3C baggage member the agent also routes on. */
  public static final String BAGGAGE_MEMBER = "devproxy-session";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Set<String> HOST_MATCHES = Set.of("host", "hostname", "host_regex");
  private static final Set<String> REBUILT = Set.of("weight", "headers", "regex_headers", "add_request_headers",
      "precedence");

  private final String key;
  private final String sessionId;
  private final String host;

  /**
   * @param key the developer's key (as for {@link HeaderRoutes})
   * @param sessionId the session the routes belong to (label value)
   * @param host the preview host, a DNS name ({@link #checkHost})
   */
  public PreviewRoutes(String key, String sessionId, String host) {
    this.key = MappingCopies.checkKey(key);
    this.sessionId = requireNonNull(sessionId, "sessionId");
    this.host = requireNonNull(host, "host");
  }

  /**
   * {@code <key>-<service>.<domain>}, the key made name-safe ({@code John.Doe} → {@code john-doe}).
   *
   * @throws DevproxyException USER when that is no DNS name (the first label is longer than 63 characters, or the
   *     domain is malformed)
   */
  public static String defaultHost(String key, String service, String domain) throws DevproxyException {
    String label = MappingCopies.nameSafe(key) + "-" + service;
    String host = label + "." + domain.toLowerCase(Locale.ROOT).replaceAll("^\\.+|\\.+$", "");
    if (!DNS_LABEL.matcher(label).matches()) {
      throw new DevproxyException(ErrorCategory.USER, "the preview host " + host + " has a first label longer than"
          + " 63 characters; pass --host with a shorter name");
    }
    return checkHost(host, "--domain");
  }

  /**
   * The host, lower-cased, when it is a DNS name of at most 253 characters.
   *
   * @throws DevproxyException USER naming {@code flag}
   */
  public static String checkHost(String host, String flag) throws DevproxyException {
    String lower = host.toLowerCase(Locale.ROOT);
    boolean valid = !lower.isEmpty() && lower.length() <= 253 && lower.contains(".");
    for (String label : lower.split("\\.", -1)) {
      valid &= DNS_LABEL.matcher(label).matches();
    }
    if (!valid) {
      throw new DevproxyException(ErrorCategory.USER, flag + ": '" + host + "' is not a host name (expected e.g."
          + " alice-orders.preview.example.com)");
    }
    return lower;
  }

  public String host() {
    return host;
  }

  /**
   * The preview copies of {@code originals}; their {@code service} names {@code shadowService} (same form and port)
   * when it is not null.
   *
   * @throws DevproxyException USER when an original has a field devproxy cannot copy faithfully; none is copied
   */
  public List<GenericKubernetesResource> of(List<GenericKubernetesResource> originals, String shadowService)
      throws DevproxyException {
    requireNonNull(originals, "originals");
    for (GenericKubernetesResource original : originals) {
      MappingCopies.check(original);
      if (MappingCopies.hasName(MappingCopies.spec(original).get("add_request_headers"),
          HeaderRoutes.SESSION_HEADER)) {
        throw new DevproxyException(ErrorCategory.USER, "Mapping " + MappingCopies.id(original) + " already adds"
            + " header '" + HeaderRoutes.SESSION_HEADER + "'; nothing was copied. Is it a devproxy preview made by"
            + " hand?");
      }
    }
    List<GenericKubernetesResource> previews = new ArrayList<>();
    for (GenericKubernetesResource original : originals) {
      previews.add(copy(original, shadowService));
    }
    return List.copyOf(previews);
  }

  /**
   * The one preview Mapping for a Service no Mapping routes to: prefix {@code /} on the preview host to
   * {@code service:port} (or {@code shadowService:port}).
   */
  public GenericKubernetesResource forService(AmbassadorApi api, String namespace, String service, int port,
      boolean grpc, String shadowService) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put(hostField(api), host);
    spec.put("prefix", "/");
    if (grpc) {
      spec.put("grpc", true);
    }
    spec.put("service", (shadowService != null ? shadowService : service) + ":" + port);
    spec.put("add_request_headers", addedHeaders(Map.of()));
    return MappingCopies.resource(api.apiVersion(), AmbassadorApi.MAPPING_KIND, metadata(name(service), namespace, null,
        Map.of()), spec);
  }

  /**
   * A {@code Host} for the preview host: TLS from {@code tlsSecret} when given, else cleartext ({@code insecure}
   * requests routed). ACME is off: the preview exists for minutes or hours, not for a certificate authority.
   *
   * @param ambassadorId copied from the original Mappings (a string or a list of strings), or null
   */
  public GenericKubernetesResource hostResource(AmbassadorApi api, String namespace, String service, String tlsSecret,
      Object ambassadorId) {
    Map<String, Object> spec = new LinkedHashMap<>();
    if (ambassadorId != null) {
      spec.put("ambassador_id", ambassadorId instanceof List<?> ? MappingCopies.deepCopy(ambassadorId)
          : List.of(String.valueOf(ambassadorId)));
    }
    spec.put("hostname", host);
    spec.put("acmeProvider", Map.of("authority", "none"));
    if (tlsSecret != null) {
      spec.put("tlsSecret", Map.of("name", tlsSecret));
    } else {
      spec.put("requestPolicy", Map.of("insecure", Map.of("action", "Route")));
    }
    return MappingCopies.resource(api.apiVersion(), AmbassadorApi.HOST_KIND,
        metadata(name(service), namespace, null, Map.of()), spec);
  }

  /** The name of the preview route (or Host) derived from {@code base}, an original Mapping or the Service. */
  public String name(String base) {
    requireNonNull(base, "base");
    return MappingCopies.name(base + "-preview-" + MappingCopies.nameSafe(key), base + "\n" + host + "\n" + key);
  }

  private GenericKubernetesResource copy(GenericKubernetesResource original, String shadowService) {
    Map<String, Object> spec = MappingCopies.spec(original);
    AmbassadorApi api = AmbassadorApi.of(original.getApiVersion());
    Map<String, Object> copied = new LinkedHashMap<>();
    copied.put(hostField(api), host);
    for (Map.Entry<String, Object> e : spec.entrySet()) {
      if (!HOST_MATCHES.contains(e.getKey()) && !REBUILT.contains(e.getKey())) {
        copied.put(e.getKey(), MappingCopies.deepCopy(e.getValue()));
      }
    }
    for (String field : List.of("headers", "regex_headers")) {
      Map<String, Object> kept = withoutHostMatches(spec.get(field));
      if (!kept.isEmpty()) {
        copied.put(field, kept);
      }
    }
    copied.put("add_request_headers", addedHeaders(spec.get("add_request_headers")));
    copied.put("precedence", MappingCopies.precedenceAbove(spec));
    if (shadowService != null) {
      copied.put("service", MappingCopies.serviceRef(spec).orElseThrow().withName(shadowService).toString());
    }
    ObjectMeta meta = original.getMetadata();
    return MappingCopies.resource(original.getApiVersion(), AmbassadorApi.MAPPING_KIND,
        metadata(name(meta.getName()), meta.getNamespace(), meta.getLabels(),
            Map.of(MappingCopies.CLONE_OF, meta.getName())),
        copied);
  }

  private ObjectMeta metadata(String name, String namespace, Map<String, String> labels,
      Map<String, String> annotations) {
    Map<String, String> all = new LinkedHashMap<>(annotations);
    all.put(PREVIEW_HOST, host);
    return MappingCopies.metadata(name, namespace, labels, sessionId, Map.of(PREVIEW_LABEL, "true"), all);
  }

  /** v2 matches the host with {@code host}; v3alpha1 with {@code hostname}, which also selects the Host. */
  private static String hostField(AmbassadorApi api) {
    return api == AmbassadorApi.V2 ? "host" : "hostname";
  }

  private static Map<String, Object> withoutHostMatches(Object headers) {
    Map<String, Object> kept = new LinkedHashMap<>();
    if (headers instanceof Map<?, ?> map) {
      map.forEach((name, value) -> {
        String n = String.valueOf(name);
        if (!n.equalsIgnoreCase(":authority") && !n.equalsIgnoreCase("host")) {
          kept.put(n, MappingCopies.deepCopy(value));
        }
      });
    }
    return kept;
  }

  /**
   * The original's {@code add_request_headers} plus the session header and baggage member, in the object form
   * both versions accept ({@code {value, append}}; v3alpha1 takes no plain strings).
   */
  private Map<String, Object> addedHeaders(Object original) {
    Map<String, Object> headers = new LinkedHashMap<>();
    String member = BAGGAGE_MEMBER + "=" + key;
    boolean baggageAdded = false;
    if (original instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String name = String.valueOf(e.getKey());
        Object value = MappingCopies.deepCopy(e.getValue());
        if (name.equalsIgnoreCase("baggage")) { // the original adds baggage of its own: add our member to it
          if (value instanceof String s) {
            value = s + "," + member;
          } else if (value instanceof Map<?, ?> v && v.get("value") instanceof String s) {
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) value;
            object.put("value", s + "," + member);
          }
          baggageAdded = true;
        }
        headers.put(name, value);
      }
    }
    headers.put(HeaderRoutes.SESSION_HEADER, header(key, false));
    if (!baggageAdded) {
      headers.put("baggage", header(member, true));
    }
    return headers;
  }

  private static Map<String, Object> header(String value, boolean append) {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("value", value);
    header.put("append", append);
    return header;
  }
}

package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * <p>Spec: the fields in {@link MappingCopies#COPIED_FIELDS} are copied verbatim, so the clone behaves exactly like
 * the original for the developer's requests. Emissary sorts routes by [precedence, prefix length, header-match
 * length...], first match wins, and counts {@code host}/{@code hostname} as an {@code :authority} match: keeping the original's prefix, host and
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
  public static final String MANAGED_BY = MappingCopies.MANAGED_BY;
  public static final String DEVPROXY = MappingCopies.DEVPROXY;
  public static final String SESSION_LABEL = MappingCopies.SESSION_LABEL;
  public static final String CLONE_OF = MappingCopies.CLONE_OF;

  private final String key;
  private final String sessionId;

  /**
   * @param key the developer's key: the header value, and (made name-safe) part of each clone's name
   * @param sessionId the session the clones belong to (label value)
   */
  public HeaderRoutes(String key, String sessionId) {
    this.key = MappingCopies.checkKey(key);
    this.sessionId = requireNonNull(sessionId, "sessionId");
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
      MappingCopies.check(original);
      if (MappingCopies.hasName(MappingCopies.spec(original).get("headers"), SESSION_HEADER)) {
        throw new DevproxyException(ErrorCategory.USER, "Mapping " + MappingCopies.id(original)
            + " already matches header '" + SESSION_HEADER + "'; nothing was cloned. Is it a devproxy route made by"
            + " hand?");
      }
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
    return MappingCopies.name(original + "-devproxy-" + MappingCopies.nameSafe(key), original + "\n" + key);
  }

  private GenericKubernetesResource clone(GenericKubernetesResource original, String shadowService) {
    Map<String, Object> spec = MappingCopies.spec(original);
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
      cloned.put(field, MappingCopies.deepCopy(e.getValue()));
    }
    Map<String, Object> headers = new LinkedHashMap<>();
    if (spec.get("headers") instanceof Map<?, ?> originalHeaders) {
      originalHeaders.forEach((k, v) -> headers.put(String.valueOf(k), MappingCopies.deepCopy(v)));
    }
    headers.put(SESSION_HEADER, key);
    cloned.put("headers", headers);
    cloned.put("precedence", MappingCopies.precedenceAbove(spec));
    if (shadowService != null) {
      cloned.put("service", MappingCopies.serviceRef(spec).orElseThrow().withName(shadowService).toString());
    }

    ObjectMeta meta = original.getMetadata();
    return MappingCopies.resource(original.getApiVersion(), AmbassadorApi.MAPPING_KIND,
        MappingCopies.metadata(cloneName(meta.getName()), meta.getNamespace(), meta.getLabels(), sessionId, Map.of(),
            Map.of(CLONE_OF, meta.getName())),
        cloned);
  }

  static Map<String, Object> spec(GenericKubernetesResource mapping) {
    return MappingCopies.spec(mapping);
  }
}

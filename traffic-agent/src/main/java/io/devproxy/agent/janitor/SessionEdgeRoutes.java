package io.devproxy.agent.janitor;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Deletes an expired session's Ambassador/Emissary edge routes, as the daemon's {@code EdgeRoutes.deleteLabelled}
 * does: the {@code Mapping}s (header routes) and {@code Host}s (preview URLs) of the namespace labelled
 * {@value SessionLease#MANAGED_BY}{@code : devproxy} and {@value SessionLease#SESSION_LABEL}{@code : <session id>}.
 *
 * <p>Which of {@code getambassador.io/v3alpha1} and {@code v2} serve Mappings and Hosts comes from API discovery of
 * each group-version, as the daemon's {@code AmbassadorApis} finds out: a cluster may have only some of the CRDs, or
 * none, and then there is nothing to do. The API converts between the versions it serves, so one object is listed
 * at both: each is deleted once, and one already gone (404) is fine.
 *
 * <p>RBAC in the namespace: list and delete on {@code mappings.getambassador.io} and {@code hosts.getambassador.io};
 * discovery needs none. Thread-safe; does not own the {@link KubeApi}.
 */
final class SessionEdgeRoutes {

  static final String GROUP = "getambassador.io";
  /** The versions devproxy writes, as the daemon's {@code AmbassadorApi} lists them. */
  static final List<String> VERSIONS = List.of("v3alpha1", "v2");

  /** The kinds of edge route: their resource names, and how a log line names one ({@code mapping/NAME}). */
  private enum Kind {
    MAPPING("mappings", "mapping"),
    HOST("hosts", "host");

    final String plural;
    final String singular;

    Kind(String plural, String singular) {
      this.plural = plural;
      this.singular = singular;
    }
  }

  /**
   * What {@link #delete} did.
   *
   * @param deleted the routes this call deleted, as {@code mapping/NAME} and {@code host/NAME}, in the order deleted
   * @param forbidden the calls the API refused with 401/403, at most one per kind; the routes of those kinds are
   *     left where they are
   */
  record Deleted(List<String> deleted, List<ApiException> forbidden) {}

  private final KubeApi api;
  private final String namespace;

  SessionEdgeRoutes(KubeApi api, String namespace) {
    this.api = requireNonNull(api, "api");
    this.namespace = requireNonNull(namespace, "namespace");
  }

  /**
   * Deletes the Mappings and Hosts of {@code session}, Mappings first, in every served version.
   *
   * @throws ApiException when a call fails for another reason than 401/403, which {@link Deleted#forbidden()}
   *     reports instead
   */
  Deleted delete(String session) throws ApiException, InterruptedException {
    requireNonNull(session, "session");
    String selector = SessionLease.SELECTOR + "," + SessionLease.SESSION_LABEL + "=" + session;
    List<String> deleted = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Map<Kind, ApiException> forbidden = new LinkedHashMap<>();
    for (Kind kind : Kind.values()) {
      for (String version : VERSIONS) {
        ApiResource resource = new ApiResource(GROUP, version, kind.plural);
        if (forbidden.containsKey(kind) || !api.serves(resource, namespace)) {
          continue;
        }
        try {
          for (JsonNode item : api.list(resource, namespace, selector).path("items")) {
            String name = item.path("metadata").path("name").asString("");
            String route = kind.singular + "/" + name;
            // An empty name would make the DELETE one of the whole collection.
            if (!name.isEmpty() && seen.add(route) && api.delete(resource, namespace, name)) {
              deleted.add(route);
            }
          }
        } catch (ApiException e) {
          if (!e.forbidden()) {
            throw e;
          }
          forbidden.put(kind, e);
        }
      }
    }
    return new Deleted(List.copyOf(deleted), List.copyOf(forbidden.values()));
  }
}

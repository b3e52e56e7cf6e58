package io.devproxy.agent.janitor;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import tools.jackson.databind.JsonNode;

/**
 * One developer session's {@code coordination.k8s.io/v1} Lease, as the daemon's {@code SessionLeases} writes it:
 * labels {@value #MANAGED_BY}{@code : devproxy} and {@value #SESSION_LABEL}{@code : <session id>}, annotation
 * {@value #WORKLOAD_ANNOTATION}{@code : <Kind>/<name>} (the workload whose pods run the session's agent), renewed
 * by the developer's daemon.
 *
 * @param name the Lease's name
 * @param session the session id
 * @param workload {@code Kind/name}; null when the annotation is missing
 * @param holder who holds it ({@code user@host}); may be null
 * @param expiresAt {@code renewTime} (else {@code acquireTime}) plus {@code leaseDurationSeconds} (default 30);
 *     {@link Instant#MIN} when neither time is set, as the daemon counts such a Lease as expired;
 *     {@link Instant#MAX} when a time cannot be read, so it is left to the daemon
 */
record SessionLease(String name, String session, String workload, String holder, Instant expiresAt) {

  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String SESSION_LABEL = "devproxy.io/session";
  static final String WORKLOAD_ANNOTATION = "devproxy.io/workload";
  /** The label selector of every devproxy object. */
  static final String SELECTOR = MANAGED_BY + "=devproxy";
  static final Duration DEFAULT_DURATION = Duration.ofSeconds(30);

  /** The session Lease in a list item; null when it is not one (no session label). */
  static SessionLease of(JsonNode lease) {
    JsonNode meta = lease.path("metadata");
    JsonNode session = meta.path("labels").get(SESSION_LABEL);
    if (session == null || !session.isString()) {
      return null;
    }
    JsonNode spec = lease.path("spec");
    return new SessionLease(meta.path("name").asString(""), session.stringValue(),
        meta.path("annotations").path(WORKLOAD_ANNOTATION).asString(null), spec.path("holderIdentity").asString(null),
        expiry(spec));
  }

  /** Whether the Lease's time ran out before {@code now}. */
  boolean expired(Instant now) {
    return expiresAt.isBefore(now);
  }

  private static Instant expiry(JsonNode spec) {
    String last = spec.path("renewTime").asString(null);
    if (last == null) {
      last = spec.path("acquireTime").asString(null);
    }
    if (last == null) {
      return Instant.MIN;
    }
    JsonNode seconds = spec.get("leaseDurationSeconds");
    Duration duration = seconds != null && seconds.canConvertToInt() && seconds.isNumber()
        ? Duration.ofSeconds(seconds.intValue()) : DEFAULT_DURATION;
    try {
      return OffsetDateTime.parse(last).toInstant().plus(duration);
    } catch (DateTimeParseException e) {
      return Instant.MAX;
    }
  }
}

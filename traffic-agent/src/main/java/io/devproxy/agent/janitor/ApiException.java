package io.devproxy.agent.janitor;

/**
 * A Kubernetes API call that failed: the API's answer (an HTTP status and its message) or, with status 0, no
 * answer at all (connection refused, timeout, unreadable token).
 */
final class ApiException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String verb;
  private final ApiResource resource;

  /**
   * @param status the HTTP status, 0 when the API did not answer
   * @param verb the RBAC verb of the call: get, list, update, delete; or discover, for API discovery of the
   *     resource's group-version
   * @param reason the API's message, or what went wrong on the way
   */
  ApiException(int status, String verb, ApiResource resource, String namespace, String reason, Throwable cause) {
    super("cannot " + verb + " " + resource.rbacName() + " in namespace " + namespace + ": "
        + (status == 0 ? "" : "HTTP " + status + ", ") + reason, cause);
    this.status = status;
    this.verb = verb;
    this.resource = resource;
  }

  /** The HTTP status; 0 when the API did not answer. */
  int status() {
    return status;
  }

  String verb() {
    return verb;
  }

  ApiResource resource() {
    return resource;
  }

  /** 401 or 403: the ServiceAccount may not make this call (the default: the app's account has no Role). */
  boolean forbidden() {
    return status == 401 || status == 403;
  }

  /** 409: the object changed since it was read (an update carried an old resourceVersion). */
  boolean conflict() {
    return status == 409;
  }
}

package io.devproxy.agent.janitor;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * A Kubernetes resource the lease janitor reads or writes, at the API version it calls, with its REST paths and
 * RBAC name.
 *
 * @param group the API group; empty for the core group
 * @param version the API version: {@code v1}, {@code v3alpha1}
 * @param plural the resource name: {@code leases}, {@code mappings}
 */
record ApiResource(String group, String version, String plural) {

  static final ApiResource LEASES = new ApiResource("coordination.k8s.io", "v1", "leases");
  static final ApiResource DEPLOYMENTS = new ApiResource("apps", "v1", "deployments");
  static final ApiResource STATEFUL_SETS = new ApiResource("apps", "v1", "statefulsets");
  static final ApiResource SERVICES = new ApiResource("", "v1", "services");
  static final ApiResource SECRETS = new ApiResource("", "v1", "secrets");

  /**
   * As RBAC and {@code kubectl auth can-i} name it, the same at every version: {@code leases.coordination.k8s.io},
   * {@code services}.
   */
  String rbacName() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  /** {@code /api/v1}, {@code /apis/apps/v1}: the group-version's discovery document, and where its paths start. */
  String groupVersion() {
    return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }

  /** {@code /api/v1/namespaces/NS/services}, {@code /apis/apps/v1/namespaces/NS/deployments}. */
  String collection(String namespace) {
    return groupVersion() + "/namespaces/" + encode(namespace) + "/" + plural;
  }

  String object(String namespace, String name) {
    return collection(namespace) + "/" + encode(name);
  }

  /**
   * The resource of a workload kind the agent can run in: {@code Deployment} or {@code StatefulSet}; null for
   * any other.
   */
  static ApiResource ofWorkloadKind(String kind) {
    return switch (kind) {
      case "Deployment" -> DEPLOYMENTS;
      case "StatefulSet" -> STATEFUL_SETS;
      default -> null;
    };
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}

package io.devproxy.agent.janitor;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The Kubernetes resources the lease janitor reads and writes, with their REST paths and RBAC names. */
enum ApiResource {
  LEASES("coordination.k8s.io", "leases"),
  DEPLOYMENTS("apps", "deployments"),
  STATEFUL_SETS("apps", "statefulsets"),
  SERVICES("", "services"),
  SECRETS("", "secrets");

  private final String group;
  private final String plural;

  ApiResource(String group, String plural) {
    this.group = group;
    this.plural = plural;
  }

  /** As RBAC and {@code kubectl auth can-i} name it: {@code leases.coordination.k8s.io}, {@code services}. */
  String rbacName() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  /** {@code /api/v1/namespaces/NS/services}, {@code /apis/apps/v1/namespaces/NS/deployments}. */
  String collection(String namespace) {
    return (group.isEmpty() ? "/api/v1" : "/apis/" + group + "/v1") + "/namespaces/" + encode(namespace) + "/" + plural;
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

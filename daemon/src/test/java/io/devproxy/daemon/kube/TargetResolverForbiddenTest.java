package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.service;
import static io.devproxy.daemon.kube.KubeFixtures.servicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient
class TargetResolverForbiddenTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static Status status(int code, String reason, String message) {
    return new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build();
  }

  @Test
  void forbiddenServiceGetNamesTheMissingPermission() {
    server.expect().get().withPath("/api/v1/namespaces/team-a/services/orders")
        .andReturn(403, status(403, "Forbidden", "services \"orders\" is forbidden: User \"dev\" cannot get"
            + " resource \"services\" in API group \"\" in the namespace \"team-a\""))
        .once();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> new TargetResolver(client).resolve("team-a", "orders", null, null));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo(
        "forbidden: get services in namespace team-a; ask for the devproxy developer Role (devproxy rbac)");
  }

  @Test
  void forbiddenDeploymentListNamesTheMissingPermission() {
    server.expect().get().withPath("/api/v1/namespaces/team-b/services/orders")
        .andReturn(200, service("team-b", "orders", Map.of("app", "orders"),
            servicePort("http", 80, new IntOrString("http"))))
        .once();
    server.expect().get().withPath("/apis/apps/v1/namespaces/team-b/deployments")
        .andReturn(403, status(403, "Forbidden", "deployments.apps is forbidden"))
        .once();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> new TargetResolver(client).resolve("team-b", "orders", null, null));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).startsWith("forbidden: list deployments.apps in namespace team-b;");
  }

  @Test
  void otherApiErrorsAreClusterErrorsWithTheApiMessage() {
    server.expect().get().withPath("/api/v1/namespaces/team-c/services")
        .andReturn(401, status(401, "Unauthorized", "Unauthorized: token expired"))
        .once();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> new ServiceCatalog(client).list("team-c"));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).startsWith("cannot list services in namespace team-c: ")
        .contains("token expired");
  }
}

package io.devproxy.agent.janitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.janitor.JanitorFixtures.LogRecorder;
import io.devproxy.tunnel.pki.CertificateAuthority;
import io.devproxy.tunnel.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a pod: the API server at {@code https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}, trusted through
 * the mounted {@code ca.crt} only, and the mounted token, read again for every call because the kubelet rotates it.
 */
class LeaseJanitorTlsTest {


  @TempDir
  Path tmp;

  private LeaseApiStandIn apiServer;
  private CertificateAuthority clusterCa;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<String> paths = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startApiServer() throws Exception {
    apiServer = LeaseApiStandIn.start(tmp.resolve("cluster-ca"), exchange -> {
      authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
      paths.add(exchange.getRequestURI().toString());
    });
    clusterCa = apiServer.clusterCa();
  }

  @AfterEach
  void stopApiServer() {
    apiServer.close();
  }

  private Map<String, String> kubernetesServiceEnv() {
    return Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
        "KUBERNETES_SERVICE_PORT", String.valueOf(apiServer.port()));
  }

  private JanitorConfig config(Path serviceAccount) {
    return new JanitorConfig("Deployment", "orders", null, Duration.ofMillis(100), Duration.ofHours(1),
        serviceAccount, null);
  }

  @Test
  void callsTheApiServerOverHttpsTrustingTheMountedCaWithTheTokenAsItIsNow() throws Exception {
    Path sa = JanitorFixtures.serviceAccount(tmp.resolve("sa"), "shop");
    Pem.writeCertificates(sa.resolve("ca.crt"), List.of(clusterCa.certificate()));

    try (LeaseJanitor janitor = LeaseJanitor.create(config(sa), kubernetesServiceEnv(), Clock.systemUTC(),
        new AgentMetrics())) {
      Duration next = janitor.round();
      Files.writeString(sa.resolve("token"), "rotated-token\n");
      janitor.round();

      assertThat(next).as("no failure").isLessThan(Duration.ofMillis(150));
    }

    assertThat(paths).containsOnly(
        "/apis/coordination.k8s.io/v1/namespaces/shop/leases?labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddevproxy");
    assertThat(authorizations).hasSize(2);
    assertThat(authorizations.get(0)).startsWith("Bearer eyJ").doesNotContain("\n");
    assertThat(authorizations.get(1)).isEqualTo("Bearer rotated-token");
  }

  @Test
  void anApiServerTheMountedCaDidNotSignIsNeverSentTheToken() throws Exception {
    Path sa = JanitorFixtures.serviceAccount(tmp.resolve("sa"), "shop");
    CertificateAuthority other = CertificateAuthority.loadOrCreate(tmp.resolve("other-ca"), "somebody else");
    Pem.writeCertificates(sa.resolve("ca.crt"), List.of(other.certificate()));

    try (LeaseJanitor janitor = LeaseJanitor.create(config(sa), kubernetesServiceEnv(), Clock.systemUTC(),
        new AgentMetrics());
        LogRecorder log = new LogRecorder(LeaseJanitor.class)) {
      Duration next = janitor.round();

      assertThat(next).as("backs off").isGreaterThan(Duration.ofMillis(150));
      assertThat(log.messages()).singleElement().asString()
          .startsWith("WARNING [shop/Deployment/orders] lease janitor: cannot list leases.coordination.k8s.io in"
              + " namespace shop: ")
          .containsIgnoringCase("SSL");
    }
    assertThat(authorizations).isEmpty();
  }

  @Test
  void withoutTheServiceHostOrTheCaThereIsNoJanitor() throws Exception {
    Path sa = JanitorFixtures.serviceAccount(tmp.resolve("sa"), "shop");

    ServiceAccount.Unavailable noHost = org.assertj.core.api.Assertions.catchThrowableOfType(
        ServiceAccount.Unavailable.class, () -> ServiceAccount.detect(sa, null, Map.of()));
    ServiceAccount.Unavailable noCa = org.assertj.core.api.Assertions.catchThrowableOfType(
        ServiceAccount.Unavailable.class, () -> ServiceAccount.detect(sa, null, kubernetesServiceEnv()));

    assertThat(noHost).hasMessage("KUBERNETES_SERVICE_HOST is not set, so the API server is unknown");
    assertThat(noCa).hasMessage("no CA certificate at " + sa.resolve("ca.crt") + " to verify the API server https://"
        + "127.0.0.1:" + apiServer.port());
  }
}

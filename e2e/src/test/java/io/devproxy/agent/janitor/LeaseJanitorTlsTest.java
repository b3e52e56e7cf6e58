package io.devproxy.agent.janitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.janitor.JanitorFixtures.LogRecorder;
import io.devproxy.tunnel.pki.CertificateAuthority;
import io.devproxy.tunnel.pki.IssuedCertificate;
import io.devproxy.tunnel.pki.Pem;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a pod: the API server at {@code https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}, trusted through
 * the mounted {@code ca.crt} only, and the mounted token, read again for every call because the kubelet rotates it.
 */
class LeaseJanitorTlsTest {

  private static final char[] PASSWORD = "test".toCharArray();

  @TempDir
  Path tmp;

  private HttpsServer apiServer;
  private CertificateAuthority clusterCa;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<String> paths = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startApiServer() throws Exception {
    clusterCa = CertificateAuthority.loadOrCreate(tmp.resolve("cluster-ca"), "kubernetes");
    IssuedCertificate serving = clusterCa.issueServer("kube-apiserver", List.of("kubernetes.default.svc"),
        List.of("127.0.0.1"), Duration.ofDays(1));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("apiserver", serving.privateKey(), PASSWORD, serving.chain().toArray(new Certificate[0]));
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), null, null);

    apiServer = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    apiServer.setHttpsConfigurator(new HttpsConfigurator(tls));
    apiServer.createContext("/", exchange -> {
      authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
      paths.add(exchange.getRequestURI().toString());
      byte[] body = "{\"kind\":\"LeaseList\",\"apiVersion\":\"coordination.k8s.io/v1\",\"items\":[]}"
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    apiServer.start();
  }

  @AfterEach
  void stopApiServer() {
    apiServer.stop(0);
  }

  private Map<String, String> kubernetesServiceEnv() {
    return Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
        "KUBERNETES_SERVICE_PORT", String.valueOf(apiServer.getAddress().getPort()));
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
        + "127.0.0.1:" + apiServer.getAddress().getPort());
  }
}

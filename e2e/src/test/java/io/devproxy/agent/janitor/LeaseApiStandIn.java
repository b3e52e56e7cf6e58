package io.devproxy.agent.janitor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.devproxy.tunnel.pki.CertificateAuthority;
import io.devproxy.tunnel.pki.IssuedCertificate;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A Kubernetes API server for the agent's janitor: HTTPS on 127.0.0.1 with a certificate from its own cluster CA
 * (valid for {@code kubernetes.default.svc} and 127.0.0.1), answering every call with an empty LeaseList.
 */
public final class LeaseApiStandIn implements AutoCloseable {

  private static final char[] PASSWORD = "test".toCharArray();

  private final HttpsServer server;
  private final CertificateAuthority clusterCa;

  private LeaseApiStandIn(HttpsServer server, CertificateAuthority clusterCa) {
    this.server = server;
    this.clusterCa = clusterCa;
  }

  /**
   * @param caDir where the cluster CA is created (or loaded from)
   * @param onCall sees each call before it is answered
   */
  public static LeaseApiStandIn start(Path caDir, Consumer<HttpExchange> onCall) throws Exception {
    CertificateAuthority clusterCa = CertificateAuthority.loadOrCreate(caDir, "kubernetes");
    IssuedCertificate serving = clusterCa.issueServer("kube-apiserver", List.of("kubernetes.default.svc"),
        List.of("127.0.0.1"), Duration.ofDays(1));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("apiserver", serving.privateKey(), PASSWORD, serving.chain().toArray(new Certificate[0]));
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), null, null);

    HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/", exchange -> {
      onCall.accept(exchange);
      byte[] body = "{\"kind\":\"LeaseList\",\"apiVersion\":\"coordination.k8s.io/v1\",\"items\":[]}"
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return new LeaseApiStandIn(server, clusterCa);
  }

  /** The CA the API server's certificate comes from: what a pod's ServiceAccount ca.crt holds. */
  public CertificateAuthority clusterCa() {
    return clusterCa;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

package io.devproxy.agent.janitor;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What Kubernetes gives a pod to call the API as its ServiceAccount: the directory {@value #DEFAULT_DIR}
 * ({@code token}, {@code ca.crt}, {@code namespace}) and the variables {@code KUBERNETES_SERVICE_HOST} and
 * {@code KUBERNETES_SERVICE_PORT}. The token is read again for every call ({@link #token()}): bound tokens are
 * rotated by the kubelet, hourly by default. Immutable and thread-safe.
 */
final class ServiceAccount {

  /** Where the kubelet mounts the ServiceAccount of every container that does not opt out. */
  static final String DEFAULT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

  private final Path tokenFile;
  private final String namespace;
  private final URI apiServer;
  private final SSLContext tls;

  private ServiceAccount(Path tokenFile, String namespace, URI apiServer, SSLContext tls) {
    this.tokenFile = tokenFile;
    this.namespace = namespace;
    this.apiServer = apiServer;
    this.tls = tls;
  }

  /** Why the pod cannot call the API: no token mounted, no API server address, an unreadable CA. */
  static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    Unavailable(String reason, Throwable cause) {
      super(reason, cause);
    }
  }

  /**
   * The pod's ServiceAccount.
   *
   * @param dir holds {@code token}, {@code namespace} and, for an https API server, {@code ca.crt}
   * @param apiServer the API server's base URL; null for {@code https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}
   *     (the CA in {@code ca.crt} is then the only one trusted). An http URL (tests) needs no CA.
   * @param env the process environment
   * @throws Unavailable saying what is missing
   */
  static ServiceAccount detect(Path dir, URI apiServer, Map<String, String> env) throws Unavailable {
    requireNonNull(dir, "dir");
    requireNonNull(env, "env");
    Path tokenFile = dir.resolve("token");
    if (!Files.isReadable(tokenFile)) {
      throw new Unavailable("no ServiceAccount token at " + tokenFile
          + " (automountServiceAccountToken is false, or not in a pod)", null);
    }
    String namespace;
    try {
      namespace = Files.readString(dir.resolve("namespace"), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new Unavailable("cannot read " + dir.resolve("namespace") + ": " + e, e);
    }
    if (namespace.isEmpty()) {
      throw new Unavailable(dir.resolve("namespace") + " is empty", null);
    }
    URI server = apiServer;
    if (server == null) {
      String host = env.get("KUBERNETES_SERVICE_HOST");
      if (host == null || host.isBlank()) {
        throw new Unavailable("KUBERNETES_SERVICE_HOST is not set, so the API server is unknown", null);
      }
      String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
      server = URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
    }
    SSLContext tls = null;
    if ("https".equalsIgnoreCase(server.getScheme())) {
      Path ca = dir.resolve("ca.crt");
      try {
        tls = trusting(ca);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new Unavailable("no CA certificate at " + ca + " to verify the API server " + server, e);
      } catch (IOException | GeneralSecurityException e) {
        throw new Unavailable("cannot use the API server's CA " + ca + ": " + e.getMessage(), e);
      }
    }
    return new ServiceAccount(tokenFile, namespace, server, tls);
  }

  /** The namespace the pod runs in. */
  String namespace() {
    return namespace;
  }

  /** The API server's base URL, without a trailing slash. */
  URI apiServer() {
    return apiServer;
  }

  /** Trusts only the cluster's CA; null for a plain-http API server. */
  SSLContext tls() {
    return tls;
  }

  /** The current token, read from its file. */
  String token() throws IOException {
    return Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
  }

  /**
   * {@code namespace/name} of the ServiceAccount, from the token's {@code sub} claim
   * ({@code system:serviceaccount:NS:NAME}); "the pod's ServiceAccount" when the token does not say.
   */
  String displayName(JsonMapper json) {
    try {
      String[] parts = token().split("\\.");
      if (parts.length >= 2) {
        JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
        String sub = claims.path("sub").asString("");
        String prefix = "system:serviceaccount:";
        if (sub.startsWith(prefix) && sub.indexOf(':', prefix.length()) > 0) {
          return sub.substring(prefix.length()).replaceFirst(":", "/");
        }
      }
    } catch (IOException | IllegalArgumentException | JacksonException e) {
      // Not a JWT we can read: say it generically.
    }
    return "the pod's ServiceAccount";
  }

  private static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> cas;
    try (InputStream in = Files.newInputStream(caFile)) {
      cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (cas.isEmpty()) {
      throw new GeneralSecurityException("no certificate in it");
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    int i = 0;
    for (Certificate ca : cas) {
      trust.setCertificateEntry("ca-" + i++, ca);
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }
}

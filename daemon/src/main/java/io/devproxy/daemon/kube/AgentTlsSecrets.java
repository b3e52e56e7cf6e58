package io.devproxy.daemon.kube;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.FileTrees;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.Pem;
import io.devproxy.tunnel.pki.UserPki;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Secret an agent mounts at {@code /etc/devproxy/tls} ({@link AgentSpec#tlsSecretName}): its server
 * certificate and key ({@value AgentTls#SERVER_CERT_FILE}, {@value AgentTls#SERVER_KEY_FILE}) and the bundle
 * of developers' CAs it accepts client certificates from ({@value AgentTls#CLIENTS_CA_FILE}).
 *
 * <p>The first developer's CA issues the server certificate; every later developer keeps it and adds their CA
 * to the bundle, which the agent reads again from the mounted file without a restart. The rules for keeping a
 * certificate are {@link UserPki#writeAgentTlsDir}'s, run on a private temporary directory seeded with the
 * Secret's files and deleted afterwards. Private keys are never logged.
 *
 * <p>Thread-safe. The caller owns and closes the {@link KubernetesClient}. Concurrent writers (two daemons)
 * are serialized by the Secret's {@code resourceVersion}: a 409 reads the Secret again and retries.
 */
public final class AgentTlsSecrets {

  /** The label every object devproxy creates or changes carries. */
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String DEVPROXY = "devproxy";
  /** Retries after a 409 (conflict or already exists) before giving up. */
  static final int CONFLICT_RETRIES = 3;

  private static final Logger logger = Logger.getLogger(AgentTlsSecrets.class.getName());
  private static final List<String> KEYS =
      List.of(AgentTls.SERVER_CERT_FILE, AgentTls.SERVER_KEY_FILE, AgentTls.CLIENTS_CA_FILE);

  private final KubernetesClient client;
  private final UserPki pki;

  public AgentTlsSecrets(KubernetesClient client, UserPki pki) {
    this.client = requireNonNull(client, "client");
    this.pki = requireNonNull(pki, "pki");
  }

  /**
   * Makes {@code secretName} in {@code namespace} hold a usable server certificate and a client-CA bundle that
   * includes this developer's CA, and makes this developer's daemon trust the issuer of that server
   * certificate. Creates the Secret (type Opaque, label {@code app.kubernetes.io/managed-by: devproxy}) when it
   * is absent; otherwise keeps its server certificate and key when {@link UserPki#writeAgentTlsDir} keeps them,
   * keeps the CAs already in the bundle, and updates the Secret only if something changed.
   *
   * <p>RBAC: {@code get}, {@code create} and {@code update} on {@code secrets} in {@code namespace}.
   *
   * @param extraDnsNames more DNS names a new server certificate is issued for, e.g. the Service's name
   * @return the Secret as the API server holds it now
   * @throws DevproxyException CLUSTER if the API refuses (403 names the missing verb) or the Secret keeps
   *     changing under us; CONFIG if this developer's PKI files are damaged
   */
  public Secret ensure(String namespace, String secretName, List<String> extraDnsNames)
      throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(secretName, "secretName");
    requireNonNull(extraDnsNames, "extraDnsNames");
    for (int attempt = 0; ; attempt++) {
      Secret current = get(namespace, secretName);
      Map<String, String> data = withTlsDir(namespace, secretName, current, dir -> {
        pki.writeAgentTlsDir(dir, extraDnsNames, List.of());
        Map<String, String> files = new LinkedHashMap<>();
        for (String key : KEYS) {
          files.put(key, Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve(key))));
        }
        return files;
      });
      try {
        if (current == null) {
          Secret created = client.secrets().inNamespace(namespace).resource(newSecret(namespace, secretName, data))
              .create();
          logger.log(Level.INFO, "[{0}/{1}] Created the agent TLS Secret for {2}",
              new Object[] {namespace, secretName, pki.owner()});
          return created;
        }
        if (sameFiles(current, data)) {
          return current;
        }
        Secret updated = client.secrets().inNamespace(namespace).resource(withData(current, data)).update();
        logger.log(Level.INFO, "[{0}/{1}] Updated the agent TLS Secret for {2}",
            new Object[] {namespace, secretName, pki.owner()});
        return updated;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
          throw KubeCalls.translate(e, current == null ? "create" : "update", "secrets", namespace);
        }
        logger.log(Level.FINE, "[{0}/{1}] The Secret changed meanwhile; reading it again",
            new Object[] {namespace, secretName});
      }
    }
  }

  /**
   * Removes this developer's CA from the Secret's client-CA bundle, so the agent no longer accepts this
   * developer's client certificate, and deletes the Secret once the bundle is empty. For the uninstall of this
   * developer's last session on the agent. Does nothing if the Secret or the CA is absent.
   *
   * <p>RBAC: {@code get}, {@code update} and {@code delete} on {@code secrets} in {@code namespace}.
   *
   * @throws DevproxyException CLUSTER if the API refuses or the Secret keeps changing under us; CLUSTER too if
   *     the Secret's bundle is not PEM
   */
  public void removeCa(String namespace, String secretName) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(secretName, "secretName");
    X509Certificate own = pki.ca().certificate();
    for (int attempt = 0; ; attempt++) {
      Secret current = get(namespace, secretName);
      if (current == null) {
        return;
      }
      List<X509Certificate> bundle = clientCas(namespace, current);
      if (!bundle.remove(own)) {
        return;
      }
      String verb = bundle.isEmpty() ? "delete" : "update";
      try {
        if (bundle.isEmpty()) {
          client.secrets().inNamespace(namespace).withName(secretName)
              .lockResourceVersion(current.getMetadata().getResourceVersion()).delete();
          logger.log(Level.INFO, "[{0}/{1}] Deleted the agent TLS Secret: {2} was the last developer",
              new Object[] {namespace, secretName, pki.owner()});
        } else {
          Map<String, String> data = new LinkedHashMap<>(current.getData());
          data.put(AgentTls.CLIENTS_CA_FILE, Base64.getEncoder().encodeToString(
              Pem.encodeCertificates(bundle).getBytes(US_ASCII)));
          client.secrets().inNamespace(namespace).resource(withData(current, data)).update();
          logger.log(Level.INFO, "[{0}/{1}] Removed the CA of {2} from the agent TLS Secret",
              new Object[] {namespace, secretName, pki.owner()});
        }
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          return;
        }
        if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
          throw KubeCalls.translate(e, verb, "secrets", namespace);
        }
      }
    }
  }

  private Secret get(String namespace, String secretName) throws DevproxyException {
    return KubeCalls.call("get", "secrets", namespace,
        () -> client.secrets().inNamespace(namespace).withName(secretName).get());
  }

  /** The CAs in the Secret's {@value AgentTls#CLIENTS_CA_FILE}, none if the key is absent. */
  private static List<X509Certificate> clientCas(String namespace, Secret secret) throws DevproxyException {
    String encoded = secret.getData() == null ? null : secret.getData().get(AgentTls.CLIENTS_CA_FILE);
    if (encoded == null) {
      return new ArrayList<>();
    }
    try {
      List<X509Certificate> cas = new ArrayList<>();
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      factory.generateCertificates(new ByteArrayInputStream(Base64.getMimeDecoder().decode(encoded)))
          .forEach(c -> cas.add((X509Certificate) c));
      return cas;
    } catch (CertificateException | IllegalArgumentException e) {
      throw new DevproxyException(ErrorCategory.CLUSTER, "the Secret " + namespace + "/"
          + secret.getMetadata().getName() + " has a damaged " + AgentTls.CLIENTS_CA_FILE + " (" + e.getMessage()
          + "); delete the Secret (kubectl delete secret " + secret.getMetadata().getName() + " -n " + namespace
          + ") and run devproxy intercept again", e);
    }
  }

  /** A directory action that may fail with I/O. */
  @FunctionalInterface
  private interface DirAction<T> {
    T apply(Path dir) throws IOException;
  }

  /**
   * Runs {@code action} on a fresh private directory holding the Secret's files (if any), then deletes the
   * directory whatever happens.
   */
  private <T> T withTlsDir(String namespace, String secretName, Secret secret, DirAction<T> action)
      throws DevproxyException {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("devproxy-agent-tls",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Map<String, String> data = secret == null || secret.getData() == null ? Map.of() : secret.getData();
      for (String key : KEYS) {
        String encoded = data.get(key);
        if (encoded != null) {
          Files.write(dir.resolve(key), Base64.getMimeDecoder().decode(encoded));
        }
      }
      return action.apply(dir);
    } catch (IOException | IllegalArgumentException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot prepare the agent TLS Secret " + namespace + "/"
          + secretName + ": " + e.getMessage() + "; check " + pki.directory()
          + ", or delete the Secret (kubectl delete secret " + secretName + " -n " + namespace + ")", e);
    } finally {
      if (dir != null) {
        deleteRecursively(dir);
      }
    }
  }

  private static void deleteRecursively(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      logger.log(Level.WARNING, "Cannot delete the temporary directory {0}: {1}; delete it by hand, it holds"
          + " an agent's private key", new Object[] {dir, e.getMessage()});
    }
  }

  private static boolean sameFiles(Secret secret, Map<String, String> data) {
    Map<String, String> current = secret.getData() == null ? Map.of() : secret.getData();
    for (Map.Entry<String, String> e : data.entrySet()) {
      String value = current.get(e.getKey());
      if (value == null || !Arrays.equals(Base64.getMimeDecoder().decode(value),
          Base64.getDecoder().decode(e.getValue()))) {
        return false;
      }
    }
    return true;
  }

  private static Secret newSecret(String namespace, String name, Map<String, String> data) {
    return new SecretBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).addToLabels(MANAGED_BY, DEVPROXY).endMetadata()
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** {@code secret} with {@code data} replacing its keys; keeps its resourceVersion for optimistic locking. */
  private static Secret withData(Secret secret, Map<String, String> data) {
    Map<String, String> merged = new LinkedHashMap<>(secret.getData() == null ? Map.of() : secret.getData());
    merged.putAll(data);
    return new SecretBuilder(secret)
        .editMetadata().addToLabels(MANAGED_BY, DEVPROXY).endMetadata()
        .withData(merged)
        .withStringData(null)
        .build();
  }
}

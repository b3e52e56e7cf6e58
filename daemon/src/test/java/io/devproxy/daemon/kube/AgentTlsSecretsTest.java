package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.Pem;
import io.devproxy.tunnel.pki.UserPki;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class AgentTlsSecretsTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final String NS = "shop";
  private static final String NAME = AgentSpec.tlsSecretName("orders");

  @TempDir Path aliceDir;
  @TempDir Path bobDir;
  @TempDir Path scratch;

  private UserPki alice;
  private UserPki bob;

  @BeforeEach
  void setUp() throws Exception {
    alice = UserPki.loadOrCreate(aliceDir.resolve("pki"), "alice@laptop");
    bob = UserPki.loadOrCreate(bobDir.resolve("pki"), "bob@desk");
    client.secrets().inNamespace(NS).delete();
  }

  private Secret secret() {
    return client.secrets().inNamespace(NS).withName(NAME).get();
  }

  private static byte[] file(Secret secret, String key) {
    return Base64.getDecoder().decode(secret.getData().get(key));
  }

  private static List<X509Certificate> certificates(byte[] pem) throws Exception {
    List<X509Certificate> certs = new ArrayList<>();
    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))
        .forEach(c -> certs.add((X509Certificate) c));
    return certs;
  }

  private PrivateKey key(byte[] pem) throws Exception {
    Path file = scratch.resolve("key.pem");
    Files.write(file, pem);
    return Pem.readPrivateKey(file);
  }

  @Test
  void createsOpaqueSecretWithServerCertKeyAndClientCaBundle() throws Exception {
    Secret returned = new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of("orders"));

    Secret secret = secret();
    assertThat(returned.getMetadata().getResourceVersion()).isEqualTo(secret.getMetadata().getResourceVersion());
    assertThat(secret.getType()).isEqualTo("Opaque");
    assertThat(secret.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "devproxy");
    assertThat(secret.getData()).containsOnlyKeys(
        AgentTls.SERVER_CERT_FILE, AgentTls.SERVER_KEY_FILE, AgentTls.CLIENTS_CA_FILE);
    List<X509Certificate> chain = certificates(file(secret, AgentTls.SERVER_CERT_FILE));
    assertThat(chain).hasSize(2);
    assertThat(chain.get(1)).isEqualTo(alice.ca().certificate());
    chain.get(0).verify(alice.ca().certificate().getPublicKey());
    assertThat(chain.get(0).getSubjectAlternativeNames())
        .anySatisfy(name -> assertThat(name.get(1)).isEqualTo("orders"));
    assertThat(key(file(secret, AgentTls.SERVER_KEY_FILE)).getAlgorithm())
        .isEqualTo(chain.get(0).getPublicKey().getAlgorithm());
    assertThat(certificates(file(secret, AgentTls.CLIENTS_CA_FILE))).containsExactly(alice.ca().certificate());
  }

  @Test
  void ensureAgainBySameDeveloperChangesNothing() throws Exception {
    AgentTlsSecrets secrets = new AgentTlsSecrets(client, alice);
    Secret first = secrets.ensure(NS, NAME, List.of());

    Secret second = secrets.ensure(NS, NAME, List.of());

    assertThat(second.getMetadata().getResourceVersion()).isEqualTo(first.getMetadata().getResourceVersion());
    assertThat(second.getData()).isEqualTo(first.getData());
  }

  @Test
  void secondDeveloperKeepsServerCertAddsCaAndTrustsIssuer() throws Exception {
    new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of());
    Secret before = secret();

    new AgentTlsSecrets(client, bob).ensure(NS, NAME, List.of());

    Secret after = secret();
    assertThat(after.getMetadata().getResourceVersion()).isNotEqualTo(before.getMetadata().getResourceVersion());
    assertThat(file(after, AgentTls.SERVER_CERT_FILE)).isEqualTo(file(before, AgentTls.SERVER_CERT_FILE));
    assertThat(file(after, AgentTls.SERVER_KEY_FILE)).isEqualTo(file(before, AgentTls.SERVER_KEY_FILE));
    assertThat(certificates(file(after, AgentTls.CLIENTS_CA_FILE)))
        .containsExactly(alice.ca().certificate(), bob.ca().certificate());
    assertThat(Pem.readCertificates(bob.trustedAgentCasFile())).containsExactly(alice.ca().certificate());
    assertThat(Pem.readCertificates(bob.agentTrustFile())).contains(alice.ca().certificate());
  }

  @Test
  void conflictOnUpdateIsRetriedWithFreshSecret() throws Exception {
    new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of());
    server.expect().put().withPath("/api/v1/namespaces/" + NS + "/secrets/" + NAME)
        .andReturn(409, new StatusBuilder().withCode(409).withReason("Conflict").withMessage("changed").build())
        .once();

    new AgentTlsSecrets(client, bob).ensure(NS, NAME, List.of());

    assertThat(certificates(file(secret(), AgentTls.CLIENTS_CA_FILE)))
        .containsExactly(alice.ca().certificate(), bob.ca().certificate());
  }

  @Test
  void replacesUnusableServerCertButKeepsOtherDevelopersCas() throws Exception {
    new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of());
    client.secrets().inNamespace(NS).withName(NAME).edit(s -> new SecretBuilder(s)
        .addToData(AgentTls.SERVER_KEY_FILE, Base64.getEncoder().encodeToString("garbage".getBytes()))
        .build());

    new AgentTlsSecrets(client, bob).ensure(NS, NAME, List.of());

    Secret after = secret();
    assertThat(certificates(file(after, AgentTls.SERVER_CERT_FILE)).get(1)).isEqualTo(bob.ca().certificate());
    assertThat(certificates(file(after, AgentTls.CLIENTS_CA_FILE)))
        .containsExactly(alice.ca().certificate(), bob.ca().certificate());
  }

  @Test
  void removeCaRemovesOnlyThatDevelopersCa() throws Exception {
    new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of());
    new AgentTlsSecrets(client, bob).ensure(NS, NAME, List.of());
    Secret before = secret();

    new AgentTlsSecrets(client, bob).removeCa(NS, NAME);

    Secret after = secret();
    assertThat(certificates(file(after, AgentTls.CLIENTS_CA_FILE))).containsExactly(alice.ca().certificate());
    assertThat(file(after, AgentTls.SERVER_CERT_FILE)).isEqualTo(file(before, AgentTls.SERVER_CERT_FILE));
    assertThat(file(after, AgentTls.SERVER_KEY_FILE)).isEqualTo(file(before, AgentTls.SERVER_KEY_FILE));
  }

  @Test
  void removeCaOfLastDeveloperDeletesSecret() throws Exception {
    new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of());
    new AgentTlsSecrets(client, bob).ensure(NS, NAME, List.of());

    new AgentTlsSecrets(client, alice).removeCa(NS, NAME);
    assertThat(secret()).isNotNull();
    new AgentTlsSecrets(client, bob).removeCa(NS, NAME);

    assertThat(secret()).isNull();
  }

  @Test
  void removeCaWithoutSecretOrCaDoesNothing() throws Exception {
    new AgentTlsSecrets(client, bob).removeCa(NS, "absent");
    new AgentTlsSecrets(client, alice).ensure(NS, NAME, List.of());
    Map<String, String> before = secret().getData();

    new AgentTlsSecrets(client, bob).removeCa(NS, NAME);

    assertThat(secret().getData()).isEqualTo(before);
  }
}

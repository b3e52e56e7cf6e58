package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.tunnel.AgentMessage;
import io.devproxy.proto.tunnel.ControlMessage;
import io.devproxy.proto.tunnel.Register;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.UserPki;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tunnel's mutual TLS from the outside: a daemon whose certificates another developer's CA issued is
 * refused quickly and clearly, a plaintext client is refused, and an agent learns a new developer's CA from
 * its TLS directory without a restart.
 */
class TlsRefusalTest {

  @TempDir
  static Path root;

  static RestServer cluster;
  static RestServer aliceLocal;
  static RestServer bobLocal;
  /** Bob's home: his own CA, which the agents of this test were not told about. */
  static DevproxyHome bobHome;
  static HttpClient http;

  Loopback alice;
  TunnelIntercepts bob;
  TunnelIntercepts aliceAgain;

  @BeforeAll
  static void startServers() throws Exception {
    cluster = new RestServer("cluster");
    cluster.start();
    aliceLocal = new RestServer("alice-local");
    aliceLocal.start();
    bobLocal = new RestServer("bob-local");
    bobLocal.start();
    bobHome = DevproxyHome.open(root.resolve("bob"));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stopServers() {
    for (RestServer server : new RestServer[] {bobLocal, aliceLocal, cluster}) {
      if (server != null) {
        server.close();
      }
    }
  }

  /** Alice's agent (its TLS directory written from her home) and her daemon, intercepting with key alice. */
  void startAlice(String name) throws Exception {
    alice = new Loopback(root.resolve(name));
    alice.startAgent(cluster.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));
    alice.startDaemon();
    alice.intercept("alice", aliceLocal.address().getPort());
  }

  @AfterEach
  void stop() {
    if (aliceAgain != null) {
      aliceAgain.close();
    }
    if (bob != null) {
      bob.close();
    }
    if (alice != null) {
      alice.close();
    }
  }

  String agentAddress() {
    return "127.0.0.1:" + alice.agent.tunnelAddress().getPort();
  }

  static InterceptRequest interceptAs(String key, String agentAddress, RestServer local) {
    return InterceptRequest.newBuilder().setName(key).setAgentAddress(agentAddress)
        .setLocalPort(local.address().getPort()).setKey(key).build();
  }

  String who(String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + alice.agentTarget() + "/who"))
        .timeout(Duration.ofSeconds(20));
    if (key != null) {
      request.header("x-devproxy-session", key);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void daemonWithAnotherCaIsRefusedFastWithClusterErrorNamingTheAgent() throws Exception {
    startAlice("foreign");
    bob = TunnelIntercepts.create(bobHome, alice.daemonLoops);

    long started = System.nanoTime();
    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> bob.intercept(interceptAs("bob", agentAddress(), bobLocal)));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(e).isNotNull();
    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).contains(agentAddress());
    assertThat(bob.list()).isEmpty();
    assertThat(alice.agent.sessions().sessions()).hasSize(1);
    assertThat(who("bob")).isEqualTo("cluster\n");
    assertThat(who("alice")).isEqualTo("alice-local\n");
  }

  @Test
  void agentLogsARefusedDeveloperOnceByName() throws Exception {
    startAlice("refused-log");
    // Bob trusts the agent, but the agent does not know Bob's CA: the agent refuses him, and says so once.
    UserPki.loadOrCreate(bobHome.pkiDir(), TunnelIntercepts.ownerName())
        .trustAgentCa(UserPki.loadOrCreate(alice.home.pkiDir(), TunnelIntercepts.ownerName()).ca().certificate());
    bob = TunnelIntercepts.create(bobHome, alice.daemonLoops);
    try (LogCapture log = new LogCapture()) {
      log.start();
      for (int attempt = 0; attempt < 3; attempt++) {
        catchThrowableOfType(DevproxyException.class, () -> bob.intercept(interceptAs("bob", agentAddress(), bobLocal)));
      }
      assertThat(log.messages(java.util.logging.Level.WARNING, "refused a daemon"))
          .singleElement().asString()
          .contains("issued by CN=devproxy CA")
          .contains("clients-ca.crt");
    }
  }

  /** STYLE.md, "Errors": the sentence the user reads says what went wrong and what to do. */
  @Test
  void refusalByAnotherCaSaysItIsACertificateProblem() throws Exception {
    startAlice("message");
    bob = TunnelIntercepts.create(bobHome, alice.daemonLoops);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> bob.intercept(interceptAs("bob", agentAddress(), bobLocal)));

    assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("Channel Pipeline")
        .containsIgnoringCase("certificate").doesNotContain("that the agent is running");
  }

  /** The other direction: Bob trusts the agent's CA, but the agent does not know his. */
  @Test
  void refusalOfOurCertificateByTheAgentSaysItIsACertificateProblem() throws Exception {
    startAlice("refused");
    UserPki.loadOrCreate(bobHome.pkiDir(), TunnelIntercepts.ownerName())
        .trustAgentCa(UserPki.loadOrCreate(alice.home.pkiDir(), TunnelIntercepts.ownerName()).ca().certificate());
    bob = TunnelIntercepts.create(bobHome, alice.daemonLoops);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> bob.intercept(interceptAs("bob", agentAddress(), bobLocal)));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).doesNotContain("\n").contains(agentAddress()).containsIgnoringCase("certificate")
        .contains("devproxy certs agent");
    assertThat(alice.agent.sessions().sessions()).hasSize(1);
  }

  @Test
  void plaintextGrpcClientIsRefusedByTheTunnelPort() throws Exception {
    startAlice("plaintext");
    ManagedChannel plaintext = NettyChannelBuilder.forTarget(agentAddress()).usePlaintext().build();
    try {
      CompletableFuture<Throwable> failed = new CompletableFuture<>();
      StreamObserver<ControlMessage> control = TunnelGrpc.newStub(plaintext).withDeadlineAfter(20, TimeUnit.SECONDS)
          .control(new StreamObserver<>() {
            @Override
            public void onNext(AgentMessage value) {
              failed.completeExceptionally(new AssertionError("the agent answered a plaintext client: " + value));
            }

            @Override
            public void onError(Throwable t) {
              failed.complete(t);
            }

            @Override
            public void onCompleted() {
              failed.completeExceptionally(new AssertionError("the agent completed a plaintext client's call"));
            }
          });
      control.onNext(ControlMessage.newBuilder().setRegister(Register.newBuilder()
          .setSessionId("plaintext").setClientId("plaintext").setOwner("mallory").setName("x")).build());

      Throwable t = failed.get(10, TimeUnit.SECONDS);

      assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(alice.agent.sessions().sessions()).noneMatch(s -> s.id().equals("plaintext"));
    } finally {
      plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void agentAcceptsASecondDevelopersCaAfterReloadWithoutRestart() throws Exception {
    startAlice("reload");
    int tunnelPort = alice.agent.tunnelAddress().getPort();
    bob = TunnelIntercepts.create(bobHome, alice.daemonLoops);
    assertThat(catchThrowableOfType(DevproxyException.class,
        () -> bob.intercept(interceptAs("bob", agentAddress(), bobLocal)))).isNotNull();

    // What `devproxy certs agent` does on Bob's machine: adds his CA, and writes a server certificate of his.
    UserPki.loadOrCreate(bobHome.pkiDir(), TunnelIntercepts.ownerName()).writeAgentTlsDir(alice.tlsDir, List.of(), List.of());
    alice.agent.tls().reloadIfChanged(); // the agent's own poller may have been first: check the result instead
    assertThat(alice.agent.tls().serverCertificate()).isEqualTo(firstCertificate(alice.tlsDir.resolve(AgentTls.SERVER_CERT_FILE)));

    InterceptInfo info = bob.intercept(interceptAs("bob", agentAddress(), bobLocal));

    assertThat(info.getState()).isEqualTo("ACTIVE");
    assertThat(alice.agent.tunnelAddress().getPort()).as("same agent, not restarted").isEqualTo(tunnelPort);
    assertThat(who("bob")).isEqualTo("bob-local\n");
    // Alice's connection was set up before the reload; open connections keep the material they started with.
    assertThat(who("alice")).isEqualTo("alice-local\n");
    assertThat(who(null)).isEqualTo("cluster\n");
  }

  /**
   * Several developers on one agent (DESIGN.md, "Certificates"): after Bob wrote the agent's TLS directory,
   * a new connection from Alice's daemon (a restart, a reconnect after a network blip) must still work.
   */
  @Test
  void firstDeveloperCanStillConnectAfterASecondDeveloperWroteTheTlsDirectory() throws Exception {
    startAlice("shared");
    UserPki.loadOrCreate(bobHome.pkiDir(), TunnelIntercepts.ownerName()).writeAgentTlsDir(alice.tlsDir, List.of(), List.of());
    alice.agent.tls().reloadIfChanged();

    // Alice's certificates in a fresh home, as after a laptop restart (without resuming her saved intercept).
    DevproxyHome again = DevproxyHome.open(root.resolve("alice-again"));
    try (var files = Files.list(alice.home.pkiDir())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, again.pkiDir().resolve(file.getFileName()));
      }
    }
    aliceAgain = TunnelIntercepts.create(again, alice.daemonLoops);
    InterceptInfo info = aliceAgain.intercept(interceptAs("alice2", agentAddress(), aliceLocal));

    assertThat(info.getState()).isEqualTo("ACTIVE");
    assertThat(who("alice2")).isEqualTo("alice-local\n");
  }

  static X509Certificate firstCertificate(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(in).iterator().next();
    }
  }
}

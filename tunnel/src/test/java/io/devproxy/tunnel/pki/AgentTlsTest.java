package io.devproxy.tunnel.pki;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.proto.tunnel.AgentMessage;
import io.devproxy.proto.tunnel.ControlMessage;
import io.devproxy.proto.tunnel.Heartbeat;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's mutual TLS over real loopback connections, and reloading it under a running server. */
class AgentTlsTest {

  @TempDir Path dir;

  private Path tlsDir;
  private UserPki alice;
  private AgentTls agentTls;
  private Server server;
  /** The client certificate subject of every call that reached the service. */
  private final ConcurrentLinkedQueue<String> callers = new ConcurrentLinkedQueue<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<LogRecord> warnings = new ArrayList<>();
  private final Logger agentTlsLogger = Logger.getLogger(AgentTls.class.getName());
  private final Handler warningCollector = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
        synchronized (warnings) {
          warnings.add(record);
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void startAgent() throws IOException {
    agentTlsLogger.addHandler(warningCollector);
    tlsDir = dir.resolve("agent-tls");
    alice = UserPki.loadOrCreate(dir.resolve("alice"), "alice@laptop");
    alice.writeAgentTlsDir(tlsDir, List.of(), List.of());
    agentTls = AgentTls.watch(tlsDir);
    server = NettyServerBuilder
        .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .sslContext(agentTls.serverContext())
        .addService(ServerInterceptors.intercept(new HeartbeatEcho(), new RecordCaller()))
        .build()
        .start();
  }

  @AfterEach
  void stopAgent() throws InterruptedException {
    agentTlsLogger.removeHandler(warningCollector);
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    server.shutdownNow();
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(5, SECONDS);
    }
    server.awaitTermination(5, SECONDS);
    agentTls.close();
  }

  @Test
  void daemonWithOwnersCertificateReachesAgent() throws Exception {
    AgentMessage reply = heartbeat(alice.clientContext());

    assertThat(reply.getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(callers).containsExactly("CN=alice@laptop,O=devproxy");
  }

  @Test
  void clientCertificateFromUntrustedCaIsRefused() throws Exception {
    UserPki mallory = UserPki.loadOrCreate(dir.resolve("mallory"), "mallory@laptop");
    // Mallory trusts Alice's CA, so only the agent's check of her certificate can stop her.
    SslContext context = AgentTls.clientContext(
        mallory.clientCertificateFile(), mallory.clientKeyFile(), alice.caCertificateFile());

    assertUnavailable(() -> heartbeat(context));
    assertThat(callers).isEmpty();
  }

  @Test
  void plaintextClientIsRefused() {
    assertUnavailable(() -> heartbeat(builder -> builder.usePlaintext()));
    assertThat(callers).isEmpty();
  }

  @Test
  void tls12ClientIsRefused() throws Exception {
    // TLS 1.2 would resume sessions from the server's cache without checking the client again.
    SslContext tls12 = GrpcSslContexts.forClient()
        .protocols("TLSv1.2")
        .keyManager(Pem.readPrivateKey(alice.clientKeyFile()),
            Pem.readCertificates(alice.clientCertificateFile()))
        .trustManager(Pem.readCertificates(alice.caCertificateFile()))
        .build();

    assertUnavailable(() -> heartbeat(tls12));
    assertThat(callers).isEmpty();
  }

  @Test
  void daemonRefusesAgentWhoseCertificateItsCaDidNotIssue() throws Exception {
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");

    assertUnavailable(() -> heartbeat(bob.clientContext()));
    assertThat(callers).isEmpty();
  }

  @Test
  void secondDeveloperConnectsAfterReloadAndIsLockedOutWhenRemoved() throws Exception {
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    // One context for all of Bob's connections, as a daemon has: it caches TLS sessions to resume.
    SslContext bobContext = bob.clientContext();
    bob.writeAgentTlsDir(tlsDir, List.of(), List.of());
    assertUnavailable(() -> heartbeat(bobContext));

    assertThat(agentTls.reloadIfChanged()).isTrue();
    assertThat(agentTls.reloadIfChanged()).isFalse();

    assertThat(heartbeat(bobContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(heartbeat(bobContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(agentTls.trustedClientSubjects()).containsExactly(
        "CN=devproxy CA alice@laptop,O=devproxy", "CN=devproxy CA bob@desktop,O=devproxy");
    // The agent still presents the server certificate Alice's CA issued: her daemon still verifies it.
    assertThat(agentTls.serverCertificate().getIssuerX500Principal())
        .isEqualTo(alice.ca().certificate().getSubjectX500Principal());
    SslContext aliceContext = alice.clientContext();
    assertThat(heartbeat(aliceContext).getHeartbeat().getUnixMillis()).isEqualTo(42);

    Pem.writeCertificates(tlsDir.resolve(AgentTls.CLIENTS_CA_FILE), List.of(alice.ca().certificate()));
    assertThat(agentTls.reloadIfChanged()).isTrue();

    assertUnavailable(() -> heartbeat(bobContext));
    assertUnavailable(() -> heartbeat(bob.clientContext()));
    assertThat(heartbeat(aliceContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(callers).containsExactly("CN=bob@desktop,O=devproxy", "CN=bob@desktop,O=devproxy",
        "CN=alice@laptop,O=devproxy", "CN=alice@laptop,O=devproxy");
  }

  @Test
  void firstDeveloperStillReachesTheAgentAfterASecondWroteItsTlsDirectory() throws Exception {
    SslContext aliceContext = alice.clientContext();
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");

    bob.writeAgentTlsDir(tlsDir, List.of(), List.of());
    assertThat(agentTls.reloadIfChanged()).isTrue();

    assertThat(heartbeat(aliceContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(heartbeat(alice.clientContext()).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(heartbeat(bob.clientContext()).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThat(callers).containsExactly("CN=alice@laptop,O=devproxy", "CN=alice@laptop,O=devproxy",
        "CN=bob@desktop,O=devproxy");
  }

  @Test
  void daemonContextTrustsAgentCasAddedAfterItWasBuiltAndKeepsThemOverDamage() throws Exception {
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    Pem.writeCertificates(tlsDir.resolve(AgentTls.CLIENTS_CA_FILE),
        List.of(alice.ca().certificate(), bob.ca().certificate()));
    assertThat(agentTls.reloadIfChanged()).isTrue();
    SslContext bobContext = bob.clientContext();
    assertUnavailable(() -> heartbeat(bobContext));

    assertThat(bob.trustAgentCa(alice.ca().certificate())).isTrue();

    assertThat(heartbeat(bobContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    Files.writeString(bob.agentTrustFile(), "garbage\n");
    assertThat(heartbeat(bobContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    Files.delete(bob.agentTrustFile());
    assertThat(heartbeat(bobContext).getHeartbeat().getUnixMillis()).isEqualTo(42);
    Pem.writeCertificates(bob.agentTrustFile(), List.of(bob.ca().certificate()));
    assertUnavailable(() -> heartbeat(bobContext));
  }

  @Test
  void removedClientCannotComeBackByResumingItsTlsSession() throws Exception {
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    bob.writeAgentTlsDir(tlsDir, List.of(), List.of());
    assertThat(agentTls.reloadIfChanged()).isTrue();
    SslContext bobContext = bob.clientContext();
    // The JDK caches client sessions by host and port, so with a port in the authority Bob's next
    // handshake offers a session ticket if he holds one, and a resumed session is not verified again.
    String authority = AgentTls.AGENT_AUTHORITY + ":" + port();
    assertThat(heartbeat(channel(builder -> builder.sslContext(bobContext)
        .overrideAuthority(authority))).getHeartbeat().getUnixMillis()).isEqualTo(42);

    Pem.writeCertificates(tlsDir.resolve(AgentTls.CLIENTS_CA_FILE), List.of(alice.ca().certificate()));
    assertThat(agentTls.reloadIfChanged()).isTrue();

    assertUnavailable(() -> heartbeat(channel(builder -> builder.sslContext(bobContext)
        .overrideAuthority(authority))));
  }

  @Test
  void connectionOpenBeforeReloadCarriesOn() throws Exception {
    SslContext aliceContext = alice.clientContext();
    ManagedChannel channel = channel(builder -> builder.sslContext(aliceContext));
    assertThat(heartbeat(channel).getHeartbeat().getUnixMillis()).isEqualTo(42);
    Files.writeString(tlsDir.resolve(AgentTls.CLIENTS_CA_FILE), Pem.encodeCertificates(
        List.of(UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop").ca().certificate())));
    assertThat(agentTls.reloadIfChanged()).isTrue();

    assertThat(heartbeat(channel).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertUnavailable(() -> heartbeat(alice.clientContext()));
  }

  @Test
  void corruptClientCaBundleKeepsPreviousMaterialAndWarnsOnce() throws Exception {
    Path bundle = tlsDir.resolve(AgentTls.CLIENTS_CA_FILE);
    Files.writeString(bundle, "garbage\n");

    assertThat(agentTls.reloadIfChanged()).isFalse();
    assertThat(agentTls.reloadIfChanged()).isFalse();

    assertThat(heartbeat(alice.clientContext()).getHeartbeat().getUnixMillis()).isEqualTo(42);
    synchronized (warnings) {
      assertThat(warnings).singleElement().satisfies(record -> assertThat(
          record.getParameters()[0].toString()).isEqualTo(bundle + ": no certificate found"
              + " (expected PEM 'BEGIN CERTIFICATE'); write the agent's TLS files with"
              + " 'devproxy certs agent --out " + tlsDir + "'"));
    }

    Pem.writeCertificates(bundle, List.of(alice.ca().certificate()));
    assertThat(agentTls.reloadIfChanged()).isTrue();
  }

  @Test
  void keyOfAnotherCertificateKeepsPreviousMaterial() throws Exception {
    IssuedCertificate other = alice.ca().issueServer(
        AgentTls.AGENT_AUTHORITY, List.of(AgentTls.AGENT_AUTHORITY), List.of(), Duration.ofDays(1));
    Pem.writePrivateKey(tlsDir.resolve(AgentTls.SERVER_KEY_FILE), other.privateKey());

    assertThat(agentTls.reloadIfChanged()).isFalse();

    assertThat(heartbeat(alice.clientContext()).getHeartbeat().getUnixMillis()).isEqualTo(42);
    assertThatThrownBy(() -> AgentTls.watch(tlsDir))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(tlsDir.resolve("server.key") + ": is not the key of "
            + tlsDir.resolve("server.crt"));
  }

  @Test
  void pollingPicksUpChangedFiles() throws Exception {
    UserPki bob = UserPki.loadOrCreate(dir.resolve("bob"), "bob@desktop");
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try {
      agentTls.start(executor, Duration.ofMillis(20));
      bob.writeAgentTlsDir(tlsDir, List.of(), List.of());

      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(agentTls.trustedClientSubjects())
              .contains("CN=devproxy CA bob@desktop,O=devproxy"));
      assertThat(heartbeat(bob.clientContext()).getHeartbeat().getUnixMillis()).isEqualTo(42);

      agentTls.close();
      agentTls.close();
      assertThat(agentTls.reloadIfChanged()).isFalse();
      assertThatThrownBy(() -> agentTls.start(executor, Duration.ofMillis(20)))
          .isInstanceOf(IllegalStateException.class);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void missingFileIsNamedWithTheCommandThatWritesIt() throws IOException {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Pem.writeCertificates(empty.resolve("server.crt"), List.of(alice.ca().certificate()));

    assertThatThrownBy(() -> AgentTls.watch(empty))
        .isInstanceOf(PkiFileException.class)
        .hasMessage(empty.resolve("server.key") + ": does not exist; write the agent's TLS files"
            + " with 'devproxy certs agent --out " + empty + "'");
  }

  @Test
  void clientContextRefusesKeyOfAnotherCertificate() {
    assertThatThrownBy(() -> AgentTls.clientContext(
            alice.clientCertificateFile(), tlsDir.resolve("server.key"), alice.caCertificateFile()))
        .isInstanceOf(PkiFileException.class)
        .hasMessageStartingWith(tlsDir.resolve("server.key") + ": is not the key of ");
  }

  private AgentMessage heartbeat(SslContext context) throws Exception {
    return heartbeat(channel(builder -> builder.sslContext(context)));
  }

  private AgentMessage heartbeat(UnaryOperator<NettyChannelBuilder> configure) throws Exception {
    return heartbeat(channel(configure));
  }

  private int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /** A new channel, so a new connection and TLS handshake, to the agent. */
  private ManagedChannel channel(UnaryOperator<NettyChannelBuilder> configure) {
    ManagedChannel channel = configure.apply(
            NettyChannelBuilder.forAddress(InetAddress.getLoopbackAddress().getHostAddress(), port())
                .overrideAuthority(AgentTls.AGENT_AUTHORITY))
        .build();
    channels.add(channel);
    return channel;
  }

  /** Sends heartbeat 42 on a Control stream and returns the first reply. */
  private static AgentMessage heartbeat(ManagedChannel channel) throws Exception {
    CompletableFuture<AgentMessage> reply = new CompletableFuture<>();
    StreamObserver<ControlMessage> requests = TunnelGrpc.newStub(channel)
        .withDeadlineAfter(10, SECONDS)
        .control(new StreamObserver<>() {
          @Override
          public void onNext(AgentMessage message) {
            reply.complete(message);
          }

          @Override
          public void onError(Throwable t) {
            reply.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            reply.completeExceptionally(new AssertionError("Control ended without a reply"));
          }
        });
    requests.onNext(ControlMessage.newBuilder()
        .setHeartbeat(Heartbeat.newBuilder().setUnixMillis(42))
        .build());
    try {
      AgentMessage message = reply.get(15, SECONDS);
      requests.onCompleted();
      return message;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw e;
    } catch (TimeoutException e) {
      requests.onError(e);
      throw e;
    }
  }

  private static void assertUnavailable(ThrowingCall call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @FunctionalInterface
  private interface ThrowingCall {
    void run() throws Exception;
  }

  /** Answers each heartbeat with the same heartbeat. */
  private static final class HeartbeatEcho extends TunnelGrpc.TunnelImplBase {
    @Override
    public StreamObserver<ControlMessage> control(StreamObserver<AgentMessage> replies) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ControlMessage message) {
          if (message.hasHeartbeat()) {
            replies.onNext(AgentMessage.newBuilder().setHeartbeat(message.getHeartbeat()).build());
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          replies.onCompleted();
        }
      };
    }
  }

  /** Records the subject of the client certificate of each call. */
  private final class RecordCaller implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      try {
        callers.add(session == null ? "no TLS" : session.getPeerPrincipal().getName());
      } catch (SSLPeerUnverifiedException e) {
        callers.add("no client certificate");
      }
      return next.startCall(call, headers);
    }
  }
}

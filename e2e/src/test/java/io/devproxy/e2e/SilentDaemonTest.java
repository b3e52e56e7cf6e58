package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.proto.tunnel.AgentMessage;
import io.devproxy.proto.tunnel.ControlMessage;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.Register;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.UserPki;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon that goes silent without closing its connection (a laptop whose lid closed): the agent ends its
 * control stream after the heartbeat silence, the grace period runs, and the developer's requests fall back.
 */
class SilentDaemonTest {

  @TempDir
  Path root;

  Loopback loopback;
  ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (loopback != null) {
      loopback.close();
    }
  }

  @Test
  void silentSessionIsEndedAndItsTrafficFallsBack() throws Exception {
    loopback = Loopback.withRestServers(root);
    UserPki pki = UserPki.loadOrCreate(loopback.home.pkiDir(), TunnelIntercepts.ownerName());
    channel = NettyChannelBuilder.forAddress(loopback.agent.tunnelAddress())
        .sslContext(pki.clientContext())
        .overrideAuthority(AgentTls.AGENT_AUTHORITY)
        .build();
    AtomicReference<Throwable> ended = new AtomicReference<>();
    AtomicReference<AgentMessage> registered = new AtomicReference<>();
    StreamObserver<ControlMessage> control = TunnelGrpc.newStub(channel).control(new StreamObserver<>() {
      @Override
      public void onNext(AgentMessage message) {
        registered.compareAndSet(null, message);
      }

      @Override
      public void onError(Throwable t) {
        ended.set(t);
      }

      @Override
      public void onCompleted() {
        ended.set(new IllegalStateException("completed"));
      }
    });
    control.onNext(ControlMessage.newBuilder().setRegister(Register.newBuilder()
        .setSessionId("silent-session").setClientId("silent-client").setOwner("silent@laptop").setName("orders")
        .setMatcher(Matcher.newBuilder().setSessionKey("silent"))).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> registered.get() != null);
    assertThat(registered.get().hasRegistered()).isTrue();

    // No heartbeat from here on, and the connection stays open.
    long started = System.nanoTime();
    await().atMost(Duration.ofSeconds(15)).until(() -> ended.get() != null);
    long endedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(Status.fromThrowable(ended.get()).getDescription()).contains("no heartbeat");

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest matched = HttpRequest.newBuilder(URI.create("http://" + loopback.agentTarget() + "/who"))
        .header("x-devproxy-session", "silent").timeout(Duration.ofSeconds(15)).build();
    await().atMost(Duration.ofSeconds(10)).until(() -> loopback.agent.sessions().sessions().isEmpty());
    assertThat(client.send(matched, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("cluster\n");
    System.out.printf("silent daemon: control stream ended %d ms after the last message%n", endedAfter);
  }
}

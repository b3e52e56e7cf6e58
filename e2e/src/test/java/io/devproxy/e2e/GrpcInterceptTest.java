package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.GreeterServer;
import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.devproxy.sandbox.greeter.StreamRequest;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gRPC through the agent: the developer's header goes to the local Greeter, the rest to the cluster's. */
class GrpcInterceptTest {

  @TempDir
  static Path root;

  static GreeterServer cluster;
  static GreeterServer local;
  static Loopback loopback;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    cluster = new GreeterServer("cluster");
    cluster.start();
    local = new GreeterServer("local");
    local.start();
    loopback = new Loopback(root);
    loopback.startAgent(cluster.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));
    loopback.startDaemon();
    loopback.intercept("greeter", local.address().getPort());
    channel = NettyChannelBuilder.forTarget(loopback.agentTarget()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (loopback != null) {
      loopback.close();
    }
    if (local != null) {
      local.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static GreeterGrpc.GreeterBlockingStub blocking(boolean developer) {
    GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    return developer ? stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sessionHeader())) : stub;
  }

  static GreeterGrpc.GreeterStub async(boolean developer) {
    GreeterGrpc.GreeterStub stub = GreeterGrpc.newStub(channel);
    return developer ? stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sessionHeader())) : stub;
  }

  static Metadata sessionHeader() {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-devproxy-session", Metadata.ASCII_STRING_MARSHALLER), Loopback.KEY);
    return headers;
  }

  @Test
  void matchedUnaryCallReachesLocalAndUnmatchedReachesCluster() {
    assertThat(blocking(true).sayHello(HelloRequest.newBuilder().setName("dev").build()).getServedBy()).isEqualTo("local");
    assertThat(blocking(false).sayHello(HelloRequest.newBuilder().setName("dev").build()).getServedBy()).isEqualTo("cluster");
  }

  @Test
  void baggageMemberMatchesLikeTheHeader() {
    Metadata baggage = new Metadata();
    baggage.put(Metadata.Key.of("baggage", Metadata.ASCII_STRING_MARSHALLER),
        "other=1,devproxy-session=" + Loopback.KEY + ";prop=x");
    HelloReply reply = GreeterGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(baggage))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .sayHello(HelloRequest.newBuilder().setName("b").build());
    assertThat(reply.getServedBy()).isEqualTo("local");
  }

  @Test
  void serverStreamingOfTenThousandMessagesArrivesInOrder() {
    for (boolean developer : new boolean[] {true, false}) {
      Iterator<HelloReply> replies = blocking(developer).sayHelloStream(
          StreamRequest.newBuilder().setName("s").setCount(10_000).setPayloadBytes(100).build());
      int expected = 0;
      while (replies.hasNext()) {
        HelloReply reply = replies.next();
        assertThat(reply.getIndex()).isEqualTo(expected++);
        assertThat(reply.getServedBy()).isEqualTo(developer ? "local" : "cluster");
      }
      assertThat(expected).isEqualTo(10_000);
    }
  }

  @Test
  void errorStatusDescriptionAndTrailersArriveIntact() {
    for (boolean developer : new boolean[] {true, false}) {
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      AtomicReference<Metadata> headers = new AtomicReference<>();
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> blocking(developer)
          .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
          .sayHello(HelloRequest.newBuilder().setName(GreeterServer.NOT_FOUND_NAME).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(e.getStatus().getDescription()).isEqualTo("no greeting for not-found");
      assertThat(trailers.get().get(GreeterServer.ERROR_DETAIL)).isEqualTo("missing");
    }
  }

  @Test
  void customHeadersAndTrailersArriveOnSuccess() {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    AtomicReference<Metadata> headers = new AtomicReference<>();
    blocking(true).withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .sayHello(HelloRequest.newBuilder().setName("t").build());
    assertThat(headers.get().get(GreeterServer.SERVED_BY)).isEqualTo("local");
    assertThat(trailers.get().get(GreeterServer.SERVED_BY_TRAILER)).isEqualTo("local");
  }

  @Test
  void bidiAndClientStreamingWorkBothWays() throws Exception {
    for (boolean developer : new boolean[] {true, false}) {
      List<HelloReply> replies = new ArrayList<>();
      CountDownLatch done = new CountDownLatch(1);
      AtomicReference<Throwable> error = new AtomicReference<>();
      StreamObserver<HelloRequest> requests = async(developer).chat(new StreamObserver<>() {
        @Override
        public void onNext(HelloReply value) {
          synchronized (replies) {
            replies.add(value);
          }
        }

        @Override
        public void onError(Throwable t) {
          error.set(t);
          done.countDown();
        }

        @Override
        public void onCompleted() {
          done.countDown();
        }
      });
      for (int i = 0; i < 50; i++) {
        requests.onNext(HelloRequest.newBuilder().setName("n" + i).build());
      }
      requests.onCompleted();
      assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
      assertThat(error.get()).isNull();
      assertThat(replies).hasSize(50);
      assertThat(replies.get(49).getMessage()).isEqualTo("Hello n49");
      assertThat(replies).allSatisfy(r -> assertThat(r.getServedBy()).isEqualTo(developer ? "local" : "cluster"));

      CountDownLatch collected = new CountDownLatch(1);
      AtomicReference<HelloReply> collectReply = new AtomicReference<>();
      StreamObserver<HelloRequest> collect = async(developer).collect(new StreamObserver<>() {
        @Override
        public void onNext(HelloReply value) {
          collectReply.set(value);
        }

        @Override
        public void onError(Throwable t) {
          error.set(t);
          collected.countDown();
        }

        @Override
        public void onCompleted() {
          collected.countDown();
        }
      });
      collect.onNext(HelloRequest.newBuilder().setName("a").build());
      collect.onNext(HelloRequest.newBuilder().setName("b").build());
      collect.onCompleted();
      assertThat(collected.await(20, TimeUnit.SECONDS)).isTrue();
      assertThat(error.get()).isNull();
      assertThat(collectReply.get().getMessage()).isEqualTo("a,b");
      assertThat(collectReply.get().getServedBy()).isEqualTo(developer ? "local" : "cluster");
    }
  }

  @Test
  void deadlineReachesTheServingSide() throws Exception {
    for (boolean developer : new boolean[] {true, false}) {
      GreeterServer server = developer ? local : cluster;
      int before = server.cancellations();
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> blocking(developer)
          .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
          .sayHello(HelloRequest.newBuilder().setName(GreeterServer.HANG_NAME).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.cancellations() > before);
    }
  }

  @Test
  void clientCancelReachesTheServingSide() throws Exception {
    for (boolean developer : new boolean[] {true, false}) {
      GreeterServer server = developer ? local : cluster;
      int before = server.cancellations();
      io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
      CountDownLatch firstReply = new CountDownLatch(1);
      CountDownLatch failed = new CountDownLatch(1);
      context.run(() -> async(developer).sayHelloStream(StreamRequest.newBuilder().setName("forever").setCount(-1).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(HelloReply value) {
              firstReply.countDown();
            }

            @Override
            public void onError(Throwable t) {
              failed.countDown();
            }

            @Override
            public void onCompleted() {}
          }));
      assertThat(firstReply.await(10, TimeUnit.SECONDS)).isTrue();
      context.cancel(null);
      assertThat(failed.await(5, TimeUnit.SECONDS)).isTrue();
      org.awaitility.Awaitility.await("cancellation seen by " + server.who()).atMost(Duration.ofSeconds(5))
          .until(() -> server.cancellations() > before);
    }
  }

  @Test
  void thousandConcurrentCallsOnOneConnectionEachAnsweredByTheRightSide() throws Exception {
    int calls = 1000;
    CountDownLatch done = new CountDownLatch(calls);
    java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
    java.util.Queue<Throwable> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
    for (int i = 0; i < calls; i++) {
      boolean developer = i % 2 == 0;
      String expected = developer ? "local" : "cluster";
      async(developer).withDeadlineAfter(60, TimeUnit.SECONDS)
          .sayHello(HelloRequest.newBuilder().setName("c" + i).build(), new StreamObserver<>() {
            @Override
            public void onNext(HelloReply value) {
              if (!value.getServedBy().equals(expected)) {
                wrong.incrementAndGet();
              }
            }

            @Override
            public void onError(Throwable t) {
              errors.add(t);
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          });
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(errors).isEmpty();
    assertThat(wrong.get()).isZero();
  }
}

package io.devproxy.sandbox.greeter;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.sandbox.BytePattern;
import io.devproxy.sandbox.Cancellation;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GreeterServerTest {

    private static GreeterServer server;
    private static ManagedChannel channel;

    @BeforeAll
    static void startServer() {
        server = new GreeterServer("cluster");
        server.start();
        channel = NettyChannelBuilder.forAddress(server.address()).usePlaintext().build();
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, SECONDS);
        server.close();
    }

    @Test
    void sayHelloGreetsAndNamesTheServerInReplyHeadersAndTrailers() {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));

        HelloReply reply = stub.sayHello(HelloRequest.newBuilder().setName("ada").build());

        assertThat(reply.getMessage()).isEqualTo("Hello ada");
        assertThat(reply.getServedBy()).isEqualTo("cluster");
        assertThat(reply.getIndex()).isZero();
        assertThat(headers.get().get(GreeterServer.SERVED_BY)).isEqualTo("cluster");
        assertThat(trailers.get().get(GreeterServer.SERVED_BY_TRAILER)).isEqualTo("cluster");
    }

    @Test
    void notFoundFailsWithDescriptionAndErrorDetailTrailer() {
        int cancellationsBefore = server.cancellations();
        GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(channel);

        assertThatThrownBy(() -> stub.sayHello(HelloRequest.newBuilder().setName("not-found").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no greeting for not-found");
                    Metadata trailers = e.getTrailers();
                    assertThat(trailers.get(GreeterServer.ERROR_DETAIL)).isEqualTo("missing");
                    assertThat(trailers.get(GreeterServer.SERVED_BY_TRAILER)).isEqualTo("cluster");
                    // Trailers-only answer: its single header block also names the server.
                    assertThat(trailers.get(GreeterServer.SERVED_BY)).isEqualTo("cluster");
                });
        assertThat(server.cancellations()).isEqualTo(cancellationsBefore);
    }

    @Test
    void hangIsNeverAnsweredAndItsCancellationIsRecorded() throws InterruptedException {
        GreeterServer own = new GreeterServer("cluster");
        own.start();
        ManagedChannel ownChannel = NettyChannelBuilder.forAddress(own.address()).usePlaintext().build();
        try {
            Instant before = Instant.now();

            assertThatThrownBy(() -> GreeterGrpc.newBlockingStub(ownChannel)
                    .withDeadlineAfter(300, MILLISECONDS)
                    .sayHello(HelloRequest.newBuilder().setName("hang").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

            assertThat(own.awaitCancellation(Duration.ofSeconds(5))).isTrue();
            assertThat(own.cancellations()).isEqualTo(1);
            assertThat(own.calls()).isEqualTo(1);
            Cancellation cancellation = own.cancelledCalls().get(0);
            assertThat(cancellation.method()).isEqualTo("helloworld.Greeter/SayHello");
            assertThat(cancellation.observedAt())
                    .isAfterOrEqualTo(before.plusMillis(300))
                    .isBeforeOrEqualTo(Instant.now());
        } finally {
            ownChannel.shutdownNow().awaitTermination(5, SECONDS);
            own.close();
        }
    }

    @Test
    void awaitCancellationTimesOutWhileNothingWasCancelled() throws InterruptedException {
        GreeterServer own = new GreeterServer("cluster");
        try {
            assertThat(own.awaitCancellation(Duration.ofMillis(10))).isFalse();
        } finally {
            own.close();
        }
    }

    @Test
    void sayHelloStreamSendsCountRepliesWithPatternPayloads() {
        Iterator<HelloReply> replies = GreeterGrpc.newBlockingStub(channel).sayHelloStream(
                StreamRequest.newBuilder().setName("ada").setCount(5).setPayloadBytes(1000).build());

        List<HelloReply> received = new ArrayList<>();
        replies.forEachRemaining(received::add);

        assertThat(received).extracting(HelloReply::getIndex).containsExactly(0, 1, 2, 3, 4);
        assertThat(received).allSatisfy(reply -> {
            assertThat(reply.getMessage()).isEqualTo("Hello ada");
            assertThat(reply.getServedBy()).isEqualTo("cluster");
            assertThat(reply.getPayload().size()).isEqualTo(1000);
            assertThat(BytePattern.mismatch(reply.getPayload().toByteArray())).isEqualTo(-1);
        });
    }

    @Test
    void sayHelloStreamWithZeroCountCompletesEmpty() {
        Iterator<HelloReply> replies = GreeterGrpc.newBlockingStub(channel)
                .sayHelloStream(StreamRequest.newBuilder().setName("ada").setCount(0).build());

        assertThat(replies.hasNext()).isFalse();
    }

    @Test
    void endlessStreamRunsUntilTheClientCancelsAndTheCancellationIsRecorded() throws InterruptedException {
        GreeterServer own = new GreeterServer("cluster");
        own.start();
        ManagedChannel ownChannel = NettyChannelBuilder.forAddress(own.address()).usePlaintext().build();
        try {
            CompletableFuture<Integer> lastIndex = new CompletableFuture<>();
            GreeterGrpc.newStub(ownChannel).sayHelloStream(
                    StreamRequest.newBuilder().setName("ada").setCount(-1).setPayloadBytes(8192).build(),
                    new ClientResponseObserver<StreamRequest, HelloReply>() {
                        private ClientCallStreamObserver<StreamRequest> call;

                        @Override
                        public void beforeStart(ClientCallStreamObserver<StreamRequest> requestStream) {
                            call = requestStream;
                        }

                        @Override
                        public void onNext(HelloReply reply) {
                            if (reply.getIndex() == 100) {
                                lastIndex.complete(reply.getIndex());
                                call.cancel("enough", null);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            lastIndex.complete(-1);
                        }

                        @Override
                        public void onCompleted() {
                            lastIndex.complete(-2);
                        }
                    });

            await().atMost(Duration.ofSeconds(5)).until(lastIndex::isDone);
            assertThat(lastIndex.join()).isEqualTo(100);
            assertThat(own.awaitCancellation(Duration.ofSeconds(5))).isTrue();
            assertThat(own.cancelledCalls()).extracting(Cancellation::method)
                    .containsExactly("helloworld.Greeter/SayHelloStream");
        } finally {
            ownChannel.shutdownNow().awaitTermination(5, SECONDS);
            own.close();
        }
    }

    @Test
    void negativePayloadIsInvalidArgument() {
        Iterator<HelloReply> replies = GreeterGrpc.newBlockingStub(channel).sayHelloStream(
                StreamRequest.newBuilder().setName("ada").setCount(1).setPayloadBytes(-1).build());

        assertThatThrownBy(replies::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void collectRepliesOnceWithTheNamesJoined() {
        CompletableFuture<HelloReply> result = new CompletableFuture<>();
        StreamObserver<HelloRequest> requests = GreeterGrpc.newStub(channel).collect(observer(result));

        for (String name : List.of("ada", "grace", "linus")) {
            requests.onNext(HelloRequest.newBuilder().setName(name).build());
        }
        requests.onCompleted();

        HelloReply reply = result.orTimeout(5, SECONDS).join();
        assertThat(reply.getMessage()).isEqualTo("ada,grace,linus");
        assertThat(reply.getServedBy()).isEqualTo("cluster");
    }

    @Test
    void chatAnswersEachRequestBeforeTheNextIsSentAndCompletesWithTheClient() throws InterruptedException {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        StreamObserver<HelloRequest> requests = GreeterGrpc.newStub(channel).chat(new StreamObserver<>() {
            @Override
            public void onNext(HelloReply reply) {
                events.add(reply);
            }

            @Override
            public void onError(Throwable t) {
                events.add(t);
            }

            @Override
            public void onCompleted() {
                events.add("completed");
            }
        });

        for (int i = 0; i < 3; i++) {
            requests.onNext(HelloRequest.newBuilder().setName("n" + i).build());
            Object event = events.poll(5, SECONDS);
            assertThat(event).isInstanceOf(HelloReply.class);
            HelloReply reply = (HelloReply) event;
            assertThat(reply.getMessage()).isEqualTo("Hello n" + i);
            assertThat(reply.getIndex()).isEqualTo(i);
            assertThat(reply.getServedBy()).isEqualTo("cluster");
        }
        assertThat(events).isEmpty();
        requests.onCompleted();

        assertThat(events.poll(5, SECONDS)).isEqualTo("completed");
    }

    @Test
    void countsCallsOfEveryMethod() {
        int before = server.calls();

        GreeterGrpc.newBlockingStub(channel).sayHello(HelloRequest.newBuilder().setName("a").build());
        GreeterGrpc.newBlockingStub(channel).sayHello(HelloRequest.newBuilder().setName("b").build());

        assertThat(server.calls()).isEqualTo(before + 2);
    }

    @Test
    void lifecycleIsStrictAndCloseIsIdempotent() {
        GreeterServer own = new GreeterServer("local");
        assertThatThrownBy(own::address).isInstanceOf(IllegalStateException.class);
        assertThat(own.start().getPort()).isPositive();
        assertThat(own.port()).isEqualTo(own.address().getPort());
        assertThat(own.who()).isEqualTo("local");
        assertThatThrownBy(own::start).isInstanceOf(IllegalStateException.class);

        own.close();
        own.close();

        assertThatThrownBy(own::start).isInstanceOf(IllegalStateException.class);
    }

    private static StreamObserver<HelloReply> observer(CompletableFuture<HelloReply> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(HelloReply reply) {
                result.complete(reply);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.completeExceptionally(new AssertionError("completed without a reply"));
            }
        };
    }
}

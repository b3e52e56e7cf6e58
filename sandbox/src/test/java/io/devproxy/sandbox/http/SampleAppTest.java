package io.devproxy.sandbox.http;

import static io.devproxy.sandbox.http.HttpTestSupport.client;
import static io.devproxy.sandbox.http.HttpTestSupport.get;
import static io.devproxy.sandbox.http.HttpTestSupport.getString;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.sandbox.BytePattern;
import io.devproxy.sandbox.Cancellation;
import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.GreeterServer;
import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.devproxy.sandbox.greeter.StreamRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.net.http.HttpClient.Version;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SampleApp: a real grpc-java client and the JDK HTTP client on one port. */
class SampleAppTest {

    private SampleApp app;
    private ManagedChannel channel;

    @BeforeEach
    void startApp() {
        app = new SampleApp("cluster");
        app.start();
        channel = NettyChannelBuilder.forAddress(app.address()).usePlaintext().build();
    }

    @AfterEach
    void stopApp() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, SECONDS);
        app.close();
    }

    @Test
    void sayHelloAnswersRealGrpcClientWithServedByHeaderAndTrailer() {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        HelloReply reply = GreeterGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .sayHello(HelloRequest.newBuilder().setName("ada").build());

        assertThat(reply.getMessage()).isEqualTo("Hello ada");
        assertThat(reply.getServedBy()).isEqualTo("cluster");
        assertThat(headers.get().get(GreeterServer.SERVED_BY)).isEqualTo("cluster");
        assertThat(trailers.get().get(GreeterServer.SERVED_BY_TRAILER)).isEqualTo("cluster");
        assertThat(app.calls()).isEqualTo(1);
        assertThat(app.cancellations()).isZero();
    }

    @Test
    void sayHelloStreamSendsAHundredRepliesInOrder() {
        Iterator<HelloReply> replies = GreeterGrpc.newBlockingStub(channel).sayHelloStream(
                StreamRequest.newBuilder().setName("ada").setCount(100).setPayloadBytes(100).build());

        List<HelloReply> received = new ArrayList<>();
        replies.forEachRemaining(received::add);

        assertThat(received).hasSize(100);
        for (int i = 0; i < 100; i++) {
            HelloReply reply = received.get(i);
            assertThat(reply.getIndex()).isEqualTo(i);
            assertThat(reply.getMessage()).isEqualTo("Hello ada");
            assertThat(reply.getServedBy()).isEqualTo("cluster");
            assertThat(BytePattern.mismatch(reply.getPayload().toByteArray())).isEqualTo(-1);
            assertThat(reply.getPayload().size()).isEqualTo(100);
        }
        assertThat(app.cancellations()).isZero();
    }

    @Test
    void largeStreamIsPacedByFlowControlAndArrivesWhole() {
        // 400 x 16 KiB = 6.4 MiB: beyond the HTTP/2 windows, so the server must wait for WINDOW_UPDATEs.
        Iterator<HelloReply> replies = GreeterGrpc.newBlockingStub(channel).sayHelloStream(
                StreamRequest.newBuilder().setName("ada").setCount(400).setPayloadBytes(16 * 1024).build());

        int count = 0;
        while (replies.hasNext()) {
            assertThat(replies.next().getIndex()).isEqualTo(count++);
        }

        assertThat(count).isEqualTo(400);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void restEndpointsShareThePort(Version version) throws Exception {
        HttpResponse<String> who = getString(client(version), app.port(), "/who");
        HttpResponse<byte[]> bytes = get(client(version), app.port(), "/bytes?n=70000");

        assertThat(who.statusCode()).isEqualTo(200);
        assertThat(who.body()).isEqualTo("cluster\n");
        assertThat(who.version()).isEqualTo(version);
        assertThat(who.headers().firstValue("x-served-by")).hasValue("cluster");
        assertThat(who.headers().firstValue("x-protocol")).hasValue(HttpTestSupport.protocolOf(version));
        assertThat(bytes.body()).hasSize(70000);
        assertThat(BytePattern.mismatch(bytes.body())).isEqualTo(-1);
        assertThat(app.calls()).as("REST requests are not gRPC calls").isZero();
    }

    @Test
    void grpcAndRestInterleaveOnOneHttp2Connection() throws Exception {
        // grpc-java and the JDK client each open one connection; the gRPC one is prior knowledge h2c.
        GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(channel);
        HelloReply first = stub.sayHello(HelloRequest.newBuilder().setName("a").build());
        HttpResponse<String> rest = getString(client(Version.HTTP_2), app.port(), "/status/418");
        HelloReply second = stub.sayHello(HelloRequest.newBuilder().setName("b").build());

        assertThat(first.getMessage()).isEqualTo("Hello a");
        assertThat(rest.statusCode()).isEqualTo(418);
        assertThat(second.getMessage()).isEqualTo("Hello b");
    }

    @Test
    void notFoundFailsWithStatusAndErrorDetailTrailer() {
        assertThatThrownBy(() -> GreeterGrpc.newBlockingStub(channel)
                .sayHello(HelloRequest.newBuilder().setName("not-found").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no greeting for not-found");
                    assertThat(e.getTrailers().get(GreeterServer.ERROR_DETAIL)).isEqualTo("missing");
                    assertThat(e.getTrailers().get(GreeterServer.SERVED_BY)).isEqualTo("cluster");
                    assertThat(e.getTrailers().get(GreeterServer.SERVED_BY_TRAILER)).isEqualTo("cluster");
                });
        assertThat(app.cancellations()).isZero();
    }

    @Test
    void otherMethodsAreUnimplemented() {
        CompletableFuture<Status> status = new CompletableFuture<>();
        StreamObserver<HelloRequest> requests = GreeterGrpc.newStub(channel).collect(new StreamObserver<>() {
            @Override
            public void onNext(HelloReply value) {
                status.complete(Status.OK);
            }

            @Override
            public void onError(Throwable t) {
                status.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                status.complete(Status.OK);
            }
        });
        requests.onNext(HelloRequest.newBuilder().setName("a").build());
        requests.onCompleted();

        Status result = status.orTimeout(5, SECONDS).join();
        assertThat(result.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(result.getDescription()).isEqualTo("Method not found: helloworld.Greeter/Collect");
        assertThat(app.calls()).isEqualTo(1);
    }

    @Test
    void hangIsCancelledByTheDeadlineAndRecorded() throws InterruptedException {
        assertThatThrownBy(() -> GreeterGrpc.newBlockingStub(channel)
                .withDeadlineAfter(200, MILLISECONDS)
                .sayHello(HelloRequest.newBuilder().setName("hang").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

        assertThat(app.awaitCancellation(Duration.ofSeconds(5))).isTrue();
        assertThat(app.cancelledCalls()).extracting(Cancellation::method)
                .containsExactly("helloworld.Greeter/SayHello");
    }

    @Test
    void endlessStreamRunsUntilTheClientCancels() throws InterruptedException {
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        GreeterGrpc.newStub(channel).sayHelloStream(
                StreamRequest.newBuilder().setName("a").setCount(-1).setPayloadBytes(8192).build(),
                new ClientResponseObserver<StreamRequest, HelloReply>() {
                    private ClientCallStreamObserver<StreamRequest> call;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<StreamRequest> requestStream) {
                        call = requestStream;
                    }

                    @Override
                    public void onNext(HelloReply reply) {
                        if (received.incrementAndGet() == 100) {
                            call.cancel("enough", null);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        closed.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        closed.complete(Status.OK);
                    }
                });

        await().atMost(Duration.ofSeconds(5)).until(closed::isDone);
        assertThat(closed.join().getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(received.get()).isEqualTo(100);
        assertThat(app.awaitCancellation(Duration.ofSeconds(5))).isTrue();
        assertThat(app.cancelledCalls()).extracting(Cancellation::method)
                .containsExactly("helloworld.Greeter/SayHelloStream");
    }

    @Test
    void endlessStreamWaitsForAClientThatStopsReading() {
        ByteBufAllocatorMetricProvider allocator = (ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT;
        long before = allocator.metric().usedDirectMemory();
        AtomicInteger received = new AtomicInteger();
        GreeterGrpc.newStub(channel).sayHelloStream(
                StreamRequest.newBuilder().setName("a").setCount(-1).setPayloadBytes(16 * 1024).build(),
                new ClientResponseObserver<StreamRequest, HelloReply>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<StreamRequest> requestStream) {
                        // Take one reply, then never ask for more: the client stops granting HTTP/2 window.
                        requestStream.disableAutoRequestWithInitial(1);
                    }

                    @Override
                    public void onNext(HelloReply reply) {
                        received.incrementAndGet();
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        await().atMost(Duration.ofSeconds(5)).until(() -> received.get() == 1);

        long used = RestServerConnectionTest.awaitStall(() -> allocator.metric().usedDirectMemory());

        // Without flow control the server would fill the heap with replies nobody reads.
        assertThat(used - before).isLessThan(64L * 1024 * 1024);
        assertThat(received.get()).isEqualTo(1);
    }

    @Test
    void closeIsIdempotentAndRefusesRestart() {
        app.close();
        app.close();

        assertThatThrownBy(app::start).isInstanceOf(IllegalStateException.class);
    }
}

package io.devproxy.sandbox.greeter;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.devproxy.sandbox.BytePattern;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.StringJoiner;

/**
 * The Greeter methods as {@link GreeterServer} documents them. Cancellations are recorded by
 * {@link CallRecordingInterceptor}, metadata by {@link ServedByInterceptor}; this class only answers.
 */
final class GreeterService extends GreeterGrpc.GreeterImplBase {

    private final String who;

    GreeterService(String who) {
        this.who = who;
    }

    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
        switch (request.getName()) {
            case GreeterServer.NOT_FOUND_NAME -> {
                Metadata trailers = new Metadata();
                trailers.put(GreeterServer.ERROR_DETAIL, "missing");
                responseObserver.onError(Status.NOT_FOUND
                        .withDescription("no greeting for not-found")
                        .asRuntimeException(trailers));
            }
            case GreeterServer.HANG_NAME -> {
                // Never answers: the call ends when the client cancels or its deadline passes.
            }
            default -> {
                responseObserver.onNext(reply("Hello " + request.getName(), 0, ByteString.EMPTY));
                responseObserver.onCompleted();
            }
        }
    }

    @Override
    public void sayHelloStream(StreamRequest request, StreamObserver<HelloReply> responseObserver) {
        if (request.getPayloadBytes() < 0) {
            responseObserver.onError(Status.INVALID_ARGUMENT
                    .withDescription("payload_bytes: " + request.getPayloadBytes() + " (expected: >= 0)")
                    .asRuntimeException());
            return;
        }
        ByteString payload = UnsafeByteOperations.unsafeWrap(BytePattern.bytes(0, request.getPayloadBytes()));
        new ReplyStreamer((ServerCallStreamObserver<HelloReply>) responseObserver,
                reply("Hello " + request.getName(), 0, payload), request.getCount()).start();
    }

    @Override
    public StreamObserver<HelloRequest> collect(StreamObserver<HelloReply> responseObserver) {
        ignoreRepliesAfterCancel(responseObserver);
        return new StreamObserver<>() {
            private final StringJoiner names = new StringJoiner(",");

            @Override
            public void onNext(HelloRequest request) {
                names.add(request.getName());
            }

            @Override
            public void onError(Throwable t) {
                // Cancelled by the client; nothing to answer.
            }

            @Override
            public void onCompleted() {
                responseObserver.onNext(reply(names.toString(), 0, ByteString.EMPTY));
                responseObserver.onCompleted();
            }
        };
    }

    @Override
    public StreamObserver<HelloRequest> chat(StreamObserver<HelloReply> responseObserver) {
        ignoreRepliesAfterCancel(responseObserver);
        return new StreamObserver<>() {
            private int index;

            @Override
            public void onNext(HelloRequest request) {
                responseObserver.onNext(reply("Hello " + request.getName(), index++, ByteString.EMPTY));
            }

            @Override
            public void onError(Throwable t) {
                // Cancelled by the client; nothing to answer.
            }

            @Override
            public void onCompleted() {
                responseObserver.onCompleted();
            }
        };
    }

    private HelloReply reply(String message, int index, ByteString payload) {
        return HelloReply.newBuilder()
                .setMessage(message)
                .setServedBy(who)
                .setIndex(index)
                .setPayload(payload)
                .build();
    }

    // Without a cancel handler grpc-stub throws from onNext after a cancel; a reply racing the cancel is expected.
    private static void ignoreRepliesAfterCancel(StreamObserver<HelloReply> responseObserver) {
        ((ServerCallStreamObserver<HelloReply>) responseObserver).setOnCancelHandler(() -> { });
    }
}

package io.devproxy.sandbox.greeter;

import io.grpc.stub.ServerCallStreamObserver;

/**
 * Sends the replies of one {@code SayHelloStream} call, only while the call is ready (grpc-java's outbound
 * flow control), so a slow reader holds the stream back rather than growing the server's buffers.
 *
 * <p>grpc-java runs the ready and cancel handlers of one call serially, so no locking is needed.
 */
final class ReplyStreamer {

    private final ServerCallStreamObserver<HelloReply> call;
    private final HelloReply template;
    private final long count;

    private long sent;
    private boolean cancelled;
    private boolean completed;

    /**
     * @param template the reply to send, with index 0; each reply gets its own index
     * @param count how many replies; negative: until the call is cancelled
     */
    ReplyStreamer(ServerCallStreamObserver<HelloReply> call, HelloReply template, long count) {
        this.call = call;
        this.template = template;
        this.count = count;
    }

    /** Installs the handlers; grpc-java calls the ready handler once the call can take replies. */
    void start() {
        call.setOnCancelHandler(() -> cancelled = true);
        call.setOnReadyHandler(this::drain);
    }

    private void drain() {
        while (!cancelled && !completed && (count < 0 || sent < count) && call.isReady()) {
            call.onNext(template.toBuilder().setIndex((int) sent).build());
            sent++;
        }
        if (!cancelled && !completed && count >= 0 && sent == count) {
            completed = true;
            call.onCompleted();
        }
    }
}

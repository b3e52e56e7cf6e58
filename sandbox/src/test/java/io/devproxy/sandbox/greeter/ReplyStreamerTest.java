package io.devproxy.sandbox.greeter;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyStreamerTest {

    private final FakeCall call = new FakeCall();
    private final HelloReply template = HelloReply.newBuilder().setMessage("Hello ada").build();

    @Test
    void sendsOnlyWhileTheCallIsReady() {
        new ReplyStreamer(call, template, 10).start();

        call.becomeReady(3);

        assertThat(call.sent).extracting(HelloReply::getIndex).containsExactly(0, 1, 2);
        assertThat(call.completed).isFalse();

        call.becomeReady(100);

        assertThat(call.sent).extracting(HelloReply::getIndex).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(call.completed).isTrue();
    }

    @Test
    void endlessStreamStopsAtCancellation() {
        new ReplyStreamer(call, template, -1).start();
        call.becomeReady(50);
        assertThat(call.sent).hasSize(50);

        call.onCancel.run();
        call.becomeReady(50);

        assertThat(call.sent).hasSize(50);
        assertThat(call.completed).isFalse();
    }

    @Test
    void zeroRepliesCompletesAtOnce() {
        new ReplyStreamer(call, template, 0).start();

        call.becomeReady(1);

        assertThat(call.sent).isEmpty();
        assertThat(call.completed).isTrue();
    }

    /** A call whose readiness the test hands out message by message. */
    private static final class FakeCall extends ServerCallStreamObserver<HelloReply> {
        final List<HelloReply> sent = new ArrayList<>();
        boolean completed;
        Runnable onReady;
        Runnable onCancel;
        private int readyFor;

        void becomeReady(int messages) {
            readyFor = messages;
            onReady.run();
        }

        @Override
        public boolean isReady() {
            return readyFor > 0;
        }

        @Override
        public void onNext(HelloReply value) {
            assertThat(readyFor).as("sent while not ready").isPositive();
            readyFor--;
            sent.add(value);
        }

        @Override
        public void onCompleted() {
            assertThat(completed).as("completed twice").isFalse();
            completed = true;
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError(t);
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
            onReady = onReadyHandler;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
            onCancel = onCancelHandler;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }
    }
}

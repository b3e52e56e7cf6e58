package io.devproxy.sandbox.greeter;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Puts {@code x-served-by} in every call's headers and {@code x-served-by-trailer} in its trailers. A call that
 * ends before sending headers is answered trailers-only, whose one header block is the trailers, so it gets
 * {@code x-served-by} there too.
 */
final class ServedByInterceptor implements ServerInterceptor {

    private final String who;

    ServedByInterceptor(String who) {
        this.who = who;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            private boolean headersSent;

            @Override
            public void sendHeaders(Metadata responseHeaders) {
                responseHeaders.put(GreeterServer.SERVED_BY, who);
                headersSent = true;
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (!headersSent) {
                    trailers.put(GreeterServer.SERVED_BY, who);
                }
                trailers.put(GreeterServer.SERVED_BY_TRAILER, who);
                super.close(status, trailers);
            }
        }, headers);
    }
}

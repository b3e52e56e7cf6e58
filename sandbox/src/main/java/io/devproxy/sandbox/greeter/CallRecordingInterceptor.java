package io.devproxy.sandbox.greeter;

import io.devproxy.sandbox.CallLog;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Counts every call and records every cancellation in a {@link CallLog}. grpc-java reports a call that ended
 * without the server completing it (client cancel, deadline, reset stream, lost connection, server shutdown)
 * through {@link ServerCall.Listener#onCancel()}; a completed call, whatever its status, through
 * {@code onComplete()}.
 */
final class CallRecordingInterceptor implements ServerInterceptor {

    private final CallLog callLog;

    CallRecordingInterceptor(CallLog callLog) {
        this.callLog = callLog;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        callLog.recordCall();
        String method = call.getMethodDescriptor().getFullMethodName();
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            @Override
            public void onCancel() {
                callLog.recordCancellation(method);
                super.onCancel();
            }
        };
    }
}

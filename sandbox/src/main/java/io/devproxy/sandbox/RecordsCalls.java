package io.devproxy.sandbox;

import java.time.Duration;
import java.util.List;

/** A sample gRPC server whose calls and cancellations tests can read. Thread-safe. */
public interface RecordsCalls {

    /** The log every call and cancellation goes to. */
    CallLog callLog();

    /** Returns the number of gRPC calls started so far, of any method and outcome. */
    default int calls() {
        return callLog().calls();
    }

    /** Returns the number of gRPC calls cancelled so far. */
    default int cancellations() {
        return callLog().cancellations();
    }

    /** Returns the gRPC calls cancelled so far, oldest first, each with the time the server observed it. */
    default List<Cancellation> cancelledCalls() {
        return callLog().cancelledCalls();
    }

    /**
     * Waits until any gRPC call has been cancelled.
     *
     * @return true once a call was cancelled (at once if one already was), false if {@code timeout} passed
     */
    default boolean awaitCancellation(Duration timeout) throws InterruptedException {
        return callLog().awaitCancellation(timeout);
    }
}

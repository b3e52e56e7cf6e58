package io.devproxy.sandbox;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a gRPC-serving sandbox server saw: how many calls started and which were cancelled. The servers write
 * it from their transport threads; tests read it from any thread. Thread-safe.
 */
public final class CallLog {

    private final AtomicInteger calls = new AtomicInteger();
    private final List<Cancellation> cancellations = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstCancellation = new CountDownLatch(1);
    private final Clock clock;

    public CallLog() {
        this(Clock.systemUTC());
    }

    CallLog(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
    }

    /** Records that a call started. */
    public void recordCall() {
        calls.incrementAndGet();
    }

    /** Records that a call of {@code method} was cancelled, now. */
    public void recordCancellation(String method) {
        cancellations.add(new Cancellation(method, clock.instant()));
        firstCancellation.countDown();
    }

    /** Returns the number of calls started so far, whatever their outcome. */
    public int calls() {
        return calls.get();
    }

    /** Returns the number of cancelled calls so far. */
    public int cancellations() {
        return cancellations.size();
    }

    /** Returns the cancelled calls so far, oldest first; an immutable snapshot. */
    public List<Cancellation> cancelledCalls() {
        return List.copyOf(cancellations);
    }

    /**
     * Waits until at least one call has been cancelled.
     *
     * @return true once a call was cancelled (immediately if one already was), false if {@code timeout} passed
     */
    public boolean awaitCancellation(Duration timeout) throws InterruptedException {
        requireNonNull(timeout, "timeout");
        return firstCancellation.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}

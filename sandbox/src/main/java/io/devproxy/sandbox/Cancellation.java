package io.devproxy.sandbox;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A gRPC call the server saw cancelled (client cancel, deadline, reset stream or lost connection) before it
 * answered completely.
 *
 * @param method full method name, e.g. {@code helloworld.Greeter/SayHello}
 * @param observedAt when the server observed the cancellation
 */
public record Cancellation(String method, Instant observedAt) {

    public Cancellation {
        requireNonNull(method, "method");
        requireNonNull(observedAt, "observedAt");
    }
}

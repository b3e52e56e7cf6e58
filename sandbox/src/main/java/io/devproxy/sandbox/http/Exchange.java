package io.devproxy.sandbox.http;

import io.netty.handler.codec.http.HttpContent;

/**
 * The answer to one REST request, driven by {@link RestHandler} on the channel's event loop. The request head
 * has been seen when the exchange is created; {@link #start()} then runs once.
 */
interface Exchange {

    /** Writes what can be written at once (often the whole response). */
    void start();

    /** Takes ownership of a piece of the request body (the last one is a {@code LastHttpContent}). */
    void onRequestContent(HttpContent content);

    /** The channel's writability changed; continue writing if the response waits for it. */
    default void onWritabilityChanged() {
    }

    /** Whether reading the request should pause (the response cannot keep up). */
    default boolean pausesReading() {
        return false;
    }

    /** Whether the whole response, including its end, has been written. */
    boolean responseComplete();
}

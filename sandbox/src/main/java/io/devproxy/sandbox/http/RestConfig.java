package io.devproxy.sandbox.http;

/**
 * What the REST handlers of one server need to know.
 *
 * @param who the label every response carries
 * @param echoBufferBytes how many bytes of {@code /echo} may wait in the outbound buffer before the server stops
 *     reading the request body (the channel's high write-water mark during an echo)
 */
record RestConfig(String who, int echoBufferBytes) {
}

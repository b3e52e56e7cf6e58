package io.devproxy.sandbox;

/**
 * Header and metadata names the sandbox servers send, for tests that assert on them. All lower case, as
 * HTTP/2 and gRPC metadata require.
 */
public final class SandboxHeaders {

    /** Response header (HTTP) and header metadata (gRPC) carrying the answering server's {@code who}. */
    public static final String SERVED_BY = "x-served-by";

    /** gRPC trailer metadata carrying the answering server's {@code who}. */
    public static final String SERVED_BY_TRAILER = "x-served-by-trailer";

    /** REST response header: the protocol the server saw, {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}. */
    public static final String PROTOCOL = "x-protocol";

    /** gRPC trailer metadata of the {@code NOT_FOUND} answer to the name {@code "not-found"}: {@code missing}. */
    public static final String ERROR_DETAIL = "x-error-detail";

    /** {@code POST /echo} returns each request header {@code x-foo} as {@code x-echo-x-foo}. */
    public static final String ECHO_PREFIX = "x-echo-";

    private SandboxHeaders() {
    }
}

/**
 * Sample services that stand in for a cluster's workloads in tests and in {@code devproxy demo}.
 *
 * <p>Every server implements {@link io.devproxy.sandbox.SandboxServer}: {@code start()} binds and returns the
 * bound address, {@code close()} is idempotent and waits for shutdown, and each answer carries the server's
 * {@code who} label (header {@value io.devproxy.sandbox.SandboxHeaders#SERVED_BY}) so a test can tell which side
 * answered:
 * <ul>
 *   <li>{@link io.devproxy.sandbox.greeter.GreeterServer}: the {@code helloworld.Greeter} service on grpc-java;
 *   <li>{@link io.devproxy.sandbox.http.RestServer}: REST endpoints over HTTP/1.1 and h2c on one port;
 *   <li>{@link io.devproxy.sandbox.http.SampleApp}: the demo's single service, REST and gRPC on one port.
 * </ul>
 *
 * <p>Packages: this one holds what all servers share; {@code greeter} the generated stubs and the grpc-java
 * server; {@code http} the Netty servers. {@code http} uses {@code greeter}'s messages, never the reverse.
 */
package io.devproxy.sandbox;

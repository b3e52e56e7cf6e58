/**
 * The Netty HTTP servers: {@link io.devproxy.sandbox.http.RestServer} (REST over HTTP/1.1 and h2c) and
 * {@link io.devproxy.sandbox.http.SampleApp} (the same REST endpoints plus a hand-written gRPC Greeter on one
 * port).
 *
 * <p>Pipeline: {@code HttpServerInitializer} assembles each connection. On an h2c-capable port a connection
 * starts HTTP/2 by prior knowledge or {@code Upgrade: h2c} on its first request; otherwise
 * {@code Http1PipelineInstaller} installs the HTTP/1.1 handlers. HTTP/2 streams become child channels; REST
 * streams get {@code Http2StreamFrameToHttpObjectCodec}, so one {@code RestHandler} serves both protocols.
 * In SampleApp, {@code StreamProtocolSelector} sends gRPC streams to {@code GrpcGreeterHandler} instead.
 */
package io.devproxy.sandbox.http;

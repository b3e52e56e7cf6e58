/**
 * The {@code helloworld.Greeter} gRPC service: stubs and messages generated from {@code helloworld.proto}, and
 * {@link io.devproxy.sandbox.greeter.GreeterServer}, which serves it with grpc-java.
 */
package io.devproxy.sandbox.greeter;

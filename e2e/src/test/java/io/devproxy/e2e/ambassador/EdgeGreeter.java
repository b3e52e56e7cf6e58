package io.devproxy.e2e.ambassador;

import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A real gRPC call at the edge, as another service would make it: h2c, its own {@code :authority}, maybe a session. */
public final class EdgeGreeter {

  private EdgeGreeter() {}

  /**
   * Calls {@code SayHello} through {@code edge} with {@code :authority} {@code authority} (and the header
   * {@code x-devproxy-session: session}, unless null) on a fresh channel.
   *
   * @return the reply's {@code served_by}: which Greeter answered
   */
  public static String servedBy(InetSocketAddress edge, String authority, String session) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress(edge).usePlaintext().overrideAuthority(authority).build();
    try {
      GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS);
      if (session != null) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("x-devproxy-session", Metadata.ASCII_STRING_MARSHALLER), session);
        stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      return stub.sayHello(HelloRequest.newBuilder().setName("edge").build()).getServedBy();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}

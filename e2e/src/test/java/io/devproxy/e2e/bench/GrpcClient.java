package io.devproxy.e2e.bench;

import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A grpc-java channel (h2c, one connection) to a route's Greeter, sending the route's headers as metadata on every
 * call. Callbacks run on the transport's event loop (direct executor): the bench's observers only count and record
 * times. {@link #close()} shuts the channel down at once and waits up to 5 s.
 */
final class GrpcClient implements AutoCloseable {

  private final ManagedChannel channel;
  private final ClientInterceptor headers;
  private final GreeterGrpc.GreeterStub async;

  GrpcClient(Route route) {
    channel = NettyChannelBuilder.forAddress(route.target()).usePlaintext().directExecutor().build();
    Metadata metadata = new Metadata();
    route.headers().forEach((name, value) -> metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER),
        value));
    headers = MetadataUtils.newAttachHeadersInterceptor(metadata);
    async = GreeterGrpc.newStub(channel).withInterceptors(headers);
  }

  /** One run of a gRPC workload's load on {@code route} for {@code time}, with its client. */
  @FunctionalInterface
  interface Run {
    Workload.Figures run(GrpcClient client, Route route, Duration time) throws InterruptedException;
  }

  /** A trial on {@code route} over one client: {@code run} for {@code warmup}, then measured for {@code duration}. */
  static Workload.Trial trial(Route route, Duration warmup, Duration duration, Run run) {
    GrpcClient client = new GrpcClient(route);
    return new Workload.Trial() {
      @Override
      public void warmUp() throws InterruptedException {
        run.run(client, route, warmup);
      }

      @Override
      public Workload.Figures measure() throws InterruptedException {
        return run.run(client, route, duration);
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  GreeterGrpc.GreeterStub async() {
    return async;
  }

  /** One {@code SayHello} over {@code route}; fails unless the route's server answers it. A {@link Fixture.Probe}. */
  static void probe(Route route) {
    try (GrpcClient client = new GrpcClient(route)) {
      HelloReply reply = GreeterGrpc.newBlockingStub(client.channel).withInterceptors(client.headers)
          .withDeadlineAfter(10, TimeUnit.SECONDS).sayHello(HelloRequest.newBuilder().setName("probe").build());
      if (!route.expectWho().equals(reply.getServedBy())) {
        throw new IllegalStateException("SayHello served by " + reply.getServedBy() + " (expected: "
            + route.expectWho() + ")");
      }
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.devproxy.cli.demo;

import io.devproxy.sandbox.SandboxHeaders;
import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.devproxy.sandbox.greeter.StreamRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's clients: grpc-java (h2c) and the JDK's HttpClient (HTTP/1.1, and HTTP/2 through an h2c upgrade),
 * sending to the agent's service port, plus one gRPC channel straight to the app for a latency baseline. Each
 * call answers with the {@code who} label of the sample app that served it.
 *
 * <p>Owns its two gRPC channels; {@link #close()} shuts them down. For one thread.
 */
final class DemoTraffic implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final String key;
  private final URI service;
  private final ManagedChannel agent;
  private final ManagedChannel direct;
  private final HttpClient http1 =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final HttpClient http2 =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(TIMEOUT).build();

  /**
   * @param service the agent's service port
   * @param app the app the agent passes unmatched requests to, for {@link #timeSayHelloDirect()}
   * @param key the developer's session key
   */
  DemoTraffic(InetSocketAddress service, InetSocketAddress app, String key) {
    this.key = key;
    this.service = URI.create("http://" + Demo.hostPort(service));
    this.agent = NettyChannelBuilder.forAddress(service).usePlaintext().build();
    this.direct = NettyChannelBuilder.forAddress(app).usePlaintext().build();
  }

  /** gRPC {@code SayHello} through the agent. */
  String sayHello(Marker marker) {
    return sayHello(agent, marker).getServedBy();
  }

  /** gRPC {@code SayHelloStream} of {@code count} replies through the agent: who served each. */
  List<String> sayHelloStream(Marker marker, int count) {
    Iterator<HelloReply> replies =
        greeter(agent, marker).sayHelloStream(StreamRequest.newBuilder().setName("demo").setCount(count).build());
    List<String> servedBy = new ArrayList<>();
    replies.forEachRemaining(reply -> servedBy.add(reply.getServedBy()));
    return servedBy;
  }

  /**
   * {@code GET /who} through the agent.
   *
   * @return the answer's {@code x-served-by}
   * @throws IOException when the answer is not a 200 in the version asked for, or the request fails
   */
  String getWho(HttpClient.Version version, Marker marker) throws IOException, InterruptedException {
    HttpClient client = version == HttpClient.Version.HTTP_2 ? http2 : http1;
    HttpRequest request = marker.addTo(HttpRequest.newBuilder(service.resolve("/who")).timeout(TIMEOUT), key).build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("status " + response.statusCode() + ": " + response.body().strip());
    }
    if (response.version() != version) {
      throw new IOException("answered over " + response.version() + ", not " + version);
    }
    return response.headers().firstValue(SandboxHeaders.SERVED_BY)
        .orElseThrow(() -> new IOException("no " + SandboxHeaders.SERVED_BY + " header in the answer"));
  }

  /** One {@code SayHello} through the agent, in nanoseconds. */
  long timeSayHello(Marker marker) {
    long start = System.nanoTime();
    sayHello(agent, marker);
    return System.nanoTime() - start;
  }

  /** One {@code SayHello} straight to the app, without the agent, in nanoseconds. */
  long timeSayHelloDirect() {
    long start = System.nanoTime();
    sayHello(direct, Marker.NONE);
    return System.nanoTime() - start;
  }

  private HelloReply sayHello(ManagedChannel channel, Marker marker) {
    return greeter(channel, marker).sayHello(HelloRequest.newBuilder().setName("demo").build());
  }

  private GreeterGrpc.GreeterBlockingStub greeter(ManagedChannel channel, Marker marker) {
    return GreeterGrpc.newBlockingStub(channel)
        .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(marker.metadata(key)));
  }

  @Override
  public void close() {
    for (ManagedChannel channel : List.of(agent, direct)) {
      channel.shutdownNow();
    }
    try {
      for (ManagedChannel channel : List.of(agent, direct)) {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.devproxy.e2e.outbound;

import io.devproxy.sandbox.greeter.GreeterGrpc;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * A grpc-java client that knows nothing of devproxy, run as its own JVM by {@code devproxy run -- java -cp ...
 * ProxiedGreeter HOST PORT}: it calls SayHello on {@code HOST:PORT} (plaintext) with whatever proxy the JVM's
 * ProxySelector gives it ({@code https.proxyHost} from JAVA_TOOL_OPTIONS) and prints which Greeter answered.
 */
public final class ProxiedGreeter {

  private ProxiedGreeter() {}

  public static void main(String[] args) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(args[0], Integer.parseInt(args[1])).usePlaintext().build();
    try {
      String servedBy = GreeterGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
          .sayHello(HelloRequest.newBuilder().setName("outbound").build()).getServedBy();
      System.out.println("served by " + servedBy);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}

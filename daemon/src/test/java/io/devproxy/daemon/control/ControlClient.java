package io.devproxy.daemon.control;

import io.devproxy.proto.daemon.DaemonGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A test's gRPC client for the control socket, as the CLI connects. */
final class ControlClient implements AutoCloseable {

  final ManagedChannel channel;

  ControlClient(Path socket, EventLoopGroup group) {
    channel =
        NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
            .channelType(NioDomainSocketChannel.class)
            .eventLoopGroup(group)
            .usePlaintext()
            .build();
  }

  /** A stub whose calls time out after 10 s. */
  DaemonGrpc.DaemonBlockingStub stub() {
    return DaemonGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

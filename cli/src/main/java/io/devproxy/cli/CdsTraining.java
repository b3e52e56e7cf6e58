package io.devproxy.cli;

import io.devproxy.proto.daemon.DaemonGrpc;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.tunnel.FileTrees;
import io.devproxy.tunnel.netty.EventLoops;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/**
 * What {@code bin/devproxy} records a class-data-sharing archive of, once per Java and install, in the background
 * ({@code java -XX:ArchiveClassesAtExit=ARCHIVE -cp devproxy-cli.jar io.devproxy.cli.CdsTraining}): the classes of
 * short commands run against a daemon, so that later runs map them from the archive instead of loading and verifying
 * them from the jar. The commands run against an in-process stand-in for the daemon's control API on a temporary home
 * (deleted at the end); nothing is printed, no daemon is started, and the user's home is not read.
 *
 * <p>Exits 0 when every command succeeded, else 5 (the launcher then keeps no archive).
 */
final class CdsTraining {

  private CdsTraining() {}

  public static void main(String[] args) throws Exception {
    // As Main does for a short command: the same Netty classes, and no log lines from gRPC and Netty (JUL).
    QuickStart.apply("status");
    Logger.getLogger("").setLevel(Level.SEVERE);
    Path home = Files.createTempDirectory("devproxy-cds");
    EventLoopGroup group = EventLoops.newGroup("devproxy-cds", 1);
    Server server = NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(home.resolve("daemon.sock")))
        .channelType(NioServerDomainSocketChannel.class)
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group)
        .addService(new StatusOnly(home))
        .build()
        .start();
    int exitCode = 0;
    try {
      DaemonConnector connector = new DaemonConnector(new HomeDir(home), h -> {
        throw new DaemonUnreachableException("no daemon is started while recording the class archive");
      }, Duration.ZERO);
      Files.createDirectories(home.resolve("logs"));
      Files.writeString(home.resolve("logs").resolve("daemon.log"), "daemon started\n");
      String[][] runs = {{"status"}, {"status", "-o", "json"}, {"--version"}, {"logs", "-n", "5"}, {"--help"}};
      for (String[] run : runs) {
        exitCode = Math.max(exitCode, run(connector, run));
      }
      // Every command's usage: picocli's model of each, as --help and parse errors build it.
      CommandLine all = Main.commandLine(new Main(connector));
      all.getSubcommands().values().forEach(CommandLine::getUsageMessage);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
      FileTrees.delete(home);
    }
    System.exit(exitCode == 0 ? 0 : 5);
  }

  private static int run(DaemonConnector connector, String... args) {
    CommandLine commandLine = Main.commandLine(new Main(connector), args);
    commandLine.setOut(new PrintWriter(Writer.nullWriter()));
    commandLine.setErr(new PrintWriter(Writer.nullWriter()));
    return commandLine.execute(args);
  }

  /** The daemon's Status call, answering with an intercept and an outbound proxy so the renderer shows both. */
  private static final class StatusOnly extends DaemonGrpc.DaemonImplBase {

    private final Path home;

    StatusOnly(Path home) {
      this.home = home;
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusReply> responseObserver) {
      responseObserver.onNext(StatusReply.newBuilder()
          .setVersion(Main.version())
          .setPid(ProcessHandle.current().pid())
          .setHome(home.toString())
          .setAgentImage("ghcr.io/devproxy/traffic-agent:" + Main.version())
          .setOutbound(Outbound.newBuilder().setHost("127.0.0.1").setPort(1080))
          .addIntercepts(InterceptInfo.newBuilder().setName("web").setKey("alice").setAgentAddress("127.0.0.1:8443")
              .setLocalPort(8080).setMatcher("x-devproxy-session: alice").setState("ACTIVE"))
          .build());
      responseObserver.onCompleted();
    }
  }
}

package io.devproxy.cli;

import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.DaemonGrpc;
import io.devproxy.proto.daemon.DeletePreviewReply;
import io.devproxy.proto.daemon.DeletePreviewRequest;
import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.proto.daemon.ForwardReply;
import io.devproxy.proto.daemon.ForwardRequest;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.GetEnvRequest;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptProgress;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.LeaveReply;
import io.devproxy.proto.daemon.LeaveRequest;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.ListRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.QuitReply;
import io.devproxy.proto.daemon.QuitRequest;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorStatus;
import io.devproxy.tunnel.netty.EventLoops;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A daemon's control API on a Unix domain socket, as the real daemon serves it (errors through
 * {@link ErrorStatus#toStatus}), with canned answers and a record of what it was asked.
 */
final class FakeDaemon extends DaemonGrpc.DaemonImplBase implements AutoCloseable {

  final List<InterceptRequest> interceptRequests = new CopyOnWriteArrayList<>();
  final List<String> leaves = new CopyOnWriteArrayList<>();
  final AtomicInteger quits = new AtomicInteger();
  final AtomicInteger statusCalls = new AtomicInteger();
  final List<ListRequest> listRequests = new CopyOnWriteArrayList<>();
  volatile ListReply listReply = ListReply.newBuilder().setNamespace("default").build();
  volatile StatusReply status = StatusReply.newBuilder().setVersion("9.9.9").setPid(321).setHome("/h").build();
  volatile InterceptInfo interceptReply;
  final List<ForwardRequest> forwardRequests = new CopyOnWriteArrayList<>();
  /** Forward calls the client cancelled (the daemon closes their ports). */
  final AtomicInteger forwardCancels = new AtomicInteger();
  /** The error of the next Forward call, instead of its ports. */
  volatile DevproxyException forwardError;
  private final List<StreamObserver<ForwardReply>> openForwards = new CopyOnWriteArrayList<>();
  final List<String> progressLines = new CopyOnWriteArrayList<>();
  final List<UninstallRequest> uninstallRequests = new CopyOnWriteArrayList<>();
  volatile UninstallReply uninstallReply = UninstallReply.newBuilder().setNamespace("default").build();
  volatile DevproxyException nextError;
  final List<CreatePreviewRequest> previewRequests = new CopyOnWriteArrayList<>();
  final List<DeletePreviewRequest> previewDeletes = new CopyOnWriteArrayList<>();
  final List<String> envRequests = new CopyOnWriteArrayList<>();
  volatile GetEnvReply envReply = GetEnvReply.newBuilder().setSource("deployment/web container app (pod web-1)")
      .addVariables(EnvVar.newBuilder().setName("DB_URL").setValue("postgres://db:5432/orders"))
      .addVariables(EnvVar.newBuilder().setName("GREETING").setValue("hello \"world\"\nbye $HOME"))
      .addWarnings("left out DB_PASSWORD: forbidden to get secret db in namespace shop")
      .build();

  private final EventLoopGroup group = EventLoops.newGroup("fake-daemon", 1);
  private final Server server;

  /** A fake daemon listening where the CLI looks for it under {@code home} (created if absent). */
  static FakeDaemon inHome(Path home) throws IOException {
    java.nio.file.Files.createDirectories(home);
    return new FakeDaemon(home.resolve("daemon.sock"));
  }

  FakeDaemon(Path socket) throws IOException {
    server =
        NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(socket))
            .channelType(NioServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .addService(this)
            .build()
            .start();
  }

  private boolean failed(StreamObserver<?> observer) {
    DevproxyException error = nextError;
    if (error == null) {
      return false;
    }
    nextError = null;
    observer.onError(ErrorStatus.toStatus(error));
    return true;
  }

  @Override
  public void intercept(InterceptRequest request, StreamObserver<InterceptProgress> observer) {
    interceptRequests.add(request);
    if (failed(observer)) {
      return;
    }
    InterceptInfo info =
        interceptReply != null
            ? interceptReply
            : InterceptInfo.newBuilder()
                .setName(request.getName())
                .setKey("alice")
                .setAgentAddress(request.getAgentAddress())
                .setLocalPort(request.getLocalPort())
                .setLocalProtocol(request.getLocalProtocol())
                .setMatcher("x-devproxy-session: alice or baggage devproxy-session=alice")
                .setState("ACTIVE")
                .addAllForwards(forwards(request.getForwardsList()))
                .build();
    for (String line : progressLines) {
      observer.onNext(InterceptProgress.newBuilder().setMessage(line).build());
    }
    observer.onNext(InterceptProgress.newBuilder().setIntercept(info).build());
    observer.onCompleted();
  }

  /**
   * Answers with the ports of {@link #forwards}, then keeps the call open until the client cancels it, counting the
   * cancellation.
   */
  @Override
  public void forward(ForwardRequest request, StreamObserver<ForwardReply> observer) {
    forwardRequests.add(request);
    DevproxyException error = forwardError;
    if (error != null) {
      forwardError = null;
      observer.onError(ErrorStatus.toStatus(error));
      return;
    }
    ((ServerCallStreamObserver<ForwardReply>) observer).setOnCancelHandler(forwardCancels::incrementAndGet);
    observer.onNext(ForwardReply.newBuilder().addAllForwards(forwards(request.getForwardsList())).build());
    openForwards.add(observer);
  }

  /** Ends the open Forward calls with {@code error}, as the daemon does when it can no longer serve their ports. */
  void endForwards(DevproxyException error) {
    for (StreamObserver<ForwardReply> observer : openForwards) {
      observer.onError(ErrorStatus.toStatus(error));
    }
    openForwards.clear();
  }

  /** SERVICE:PORT[:LOCAL_PORT] as the daemon would open them; a missing local port becomes 15000 + PORT % 1000. */
  static List<ForwardInfo> forwards(List<String> specs) {
    List<ForwardInfo> forwards = new ArrayList<>();
    for (String spec : specs) {
      String[] parts = spec.split(":");
      int port = Integer.parseInt(parts[1]);
      int local = parts.length > 2 ? Integer.parseInt(parts[2]) : 15000 + port % 1000;
      forwards.add(ForwardInfo.newBuilder().setHost(parts[0]).setPort(port).setLocalPort(local).build());
    }
    return forwards;
  }

  @Override
  public void uninstall(UninstallRequest request, StreamObserver<UninstallReply> observer) {
    uninstallRequests.add(request);
    if (failed(observer)) {
      return;
    }
    observer.onNext(uninstallReply);
    observer.onCompleted();
  }

  /** Answers with a preview for the requested host, or {@code alice-<name>.preview.example.com}. */
  @Override
  public void createPreview(CreatePreviewRequest request, StreamObserver<Preview> observer) {
    previewRequests.add(request);
    if (failed(observer)) {
      return;
    }
    String host = request.getHost().isEmpty() ? "alice-" + request.getName() + ".preview.example.com"
        : request.getHost();
    observer.onNext(Preview.newBuilder().setHost(host).setUrl("http://" + host + "/")
        .addMappings(request.getName() + "-preview-alice-123456").build());
    observer.onCompleted();
  }

  @Override
  public void deletePreview(DeletePreviewRequest request, StreamObserver<DeletePreviewReply> observer) {
    previewDeletes.add(request);
    if (failed(observer)) {
      return;
    }
    observer.onNext(DeletePreviewReply.newBuilder()
        .addHosts(request.getHost().isEmpty() ? "alice-" + request.getName() + ".preview.example.com"
            : request.getHost())
        .build());
    observer.onCompleted();
  }

  @Override
  public void getEnv(GetEnvRequest request, StreamObserver<GetEnvReply> observer) {
    envRequests.add(request.getName());
    if (failed(observer)) {
      return;
    }
    observer.onNext(envReply);
    observer.onCompleted();
  }

  @Override
  public void leave(LeaveRequest request, StreamObserver<LeaveReply> observer) {
    leaves.add(request.getName());
    if (failed(observer)) {
      return;
    }
    observer.onNext(LeaveReply.getDefaultInstance());
    observer.onCompleted();
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusReply> observer) {
    statusCalls.incrementAndGet();
    if (failed(observer)) {
      return;
    }
    observer.onNext(status);
    observer.onCompleted();
  }

  @Override
  public void list(ListRequest request, StreamObserver<ListReply> observer) {
    listRequests.add(request);
    if (failed(observer)) {
      return;
    }
    observer.onNext(listReply);
    observer.onCompleted();
  }

  /** Replies, then stops listening, as the daemon does after leaving its intercepts. */
  @Override
  public void quit(QuitRequest request, StreamObserver<QuitReply> observer) {
    quits.incrementAndGet();
    observer.onNext(QuitReply.getDefaultInstance());
    observer.onCompleted();
    new Thread(this::close, "fake-daemon-quit").start();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}

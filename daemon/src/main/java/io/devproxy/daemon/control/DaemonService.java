package io.devproxy.daemon.control;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.Intercepts;
import io.devproxy.daemon.outbound.LocalForwards;
import io.devproxy.daemon.outbound.OutboundService;
import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.DaemonGrpc;
import io.devproxy.proto.daemon.DeletePreviewReply;
import io.devproxy.proto.daemon.DeletePreviewRequest;
import io.devproxy.proto.daemon.ForwardReply;
import io.devproxy.proto.daemon.ForwardRequest;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.GetEnvRequest;
import io.devproxy.proto.daemon.InterceptProgress;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.LeaveReply;
import io.devproxy.proto.daemon.LeaveRequest;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.ListRequest;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.QuitReply;
import io.devproxy.proto.daemon.QuitRequest;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.errors.ErrorStatus;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/**
 * The control API the CLI calls: each RPC delegates to {@link Intercepts}; every failure reaches the CLI
 * through {@link ErrorStatus#toStatus}, so it carries its category. Thread-safe when the intercepts are.
 */
public final class DaemonService extends DaemonGrpc.DaemonImplBase {

  private static final Logger logger = Logger.getLogger(DaemonService.class.getName());

  private final Intercepts intercepts;
  private final DaemonInfo info;
  private final Runnable onQuit;
  private final ServiceLister services;
  private final OutboundService outbound;

  /**
   * @param intercepts not owned: closed by whoever shuts the daemon down
   * @param onQuit runs on a gRPC thread after the Quit reply is sent; it must return promptly and stop the
   *     daemon in the background
   */
  public DaemonService(Intercepts intercepts, DaemonInfo info, Runnable onQuit) {
    this(intercepts, info, onQuit, new ServiceLister(), null);
  }

  /**
   * @param services answers {@code List}; tests pass one with a mock cluster's client
   * @param outbound the outbound proxy and forwards, not owned; null when this daemon has none
   */
  public DaemonService(Intercepts intercepts, DaemonInfo info, Runnable onQuit, ServiceLister services,
      OutboundService outbound) {
    this.intercepts = requireNonNull(intercepts, "intercepts");
    this.info = requireNonNull(info, "info");
    this.onQuit = requireNonNull(onQuit, "onQuit");
    this.services = requireNonNull(services, "services");
    this.outbound = outbound;
  }

  /**
   * Runs the intercept on this call's thread, streaming its progress. A CLI that cancels the call (Ctrl-C, or
   * its process ending) interrupts the thread, so the engine abandons the intercept and undoes what it changed.
   */
  @Override
  public void intercept(InterceptRequest request, StreamObserver<InterceptProgress> responseObserver) {
    ServerCallStreamObserver<InterceptProgress> call = (ServerCallStreamObserver<InterceptProgress>) responseObserver;
    Thread worker = Thread.currentThread();
    Object lock = new Object();
    boolean[] running = {true};
    // Not setOnCancelHandler: its callback waits behind this very method on the call's serializing executor.
    // gRPC cancels the call's Context on a separate executor, which reaches a method that is still working.
    Context.CancellationListener onCancel = context -> {
      synchronized (lock) {
        if (running[0]) {
          logger.info(() -> "intercept '" + request.getName() + "' cancelled by the CLI");
          worker.interrupt();
        }
      }
    };
    Context.current().addListener(onCancel, Runnable::run);
    try {
      InterceptProgress done = InterceptProgress.newBuilder()
          .setIntercept(intercepts.intercept(request, line -> {
            if (!call.isCancelled()) {
              call.onNext(InterceptProgress.newBuilder().setMessage(line).build());
            }
          }))
          .build();
      if (!call.isCancelled()) {
        call.onNext(done);
        call.onCompleted();
      }
    } catch (DevproxyException | RuntimeException e) {
      if (!call.isCancelled()) {
        call.onError(ErrorStatus.toStatus(e));
      }
    } finally {
      Context.current().removeListener(onCancel);
      synchronized (lock) {
        running[0] = false;
        Thread.interrupted(); // a cancel racing with the end must not leak into the executor's next task
      }
    }
  }

  @Override
  public void uninstall(UninstallRequest request, StreamObserver<UninstallReply> responseObserver) {
    unary(responseObserver, () -> intercepts.uninstall(request));
  }

  @Override
  public void createPreview(CreatePreviewRequest request, StreamObserver<Preview> responseObserver) {
    unary(responseObserver, () -> intercepts.createPreview(request));
  }

  @Override
  public void deletePreview(DeletePreviewRequest request, StreamObserver<DeletePreviewReply> responseObserver) {
    unary(responseObserver, () -> DeletePreviewReply.newBuilder()
        .addAllHosts(intercepts.deletePreviews(request.getName(), request.getHost())).build());
  }

  @Override
  public void getEnv(GetEnvRequest request, StreamObserver<GetEnvReply> responseObserver) {
    unary(responseObserver, () -> intercepts.getEnv(request.getName()));
  }

  @Override
  public void leave(LeaveRequest request, StreamObserver<LeaveReply> responseObserver) {
    unary(responseObserver, () -> {
      intercepts.leave(request.getName());
      return LeaveReply.getDefaultInstance();
    });
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusReply> responseObserver) {
    unary(responseObserver, () -> StatusReply.newBuilder()
        .setVersion(info.version())
        .setPid(info.pid())
        .setHome(info.home())
        .setAgentImage(info.agentImage())
        .addAllIntercepts(intercepts.list())
        .setOutbound(outbound == null ? Outbound.newBuilder().setError("this daemon has no outbound proxy").build()
            : outbound.describe())
        .build());
  }

  /** Opens the forwards, replies with their ports, and closes them when the CLI ends the call. */
  @Override
  public void forward(ForwardRequest request, StreamObserver<ForwardReply> responseObserver) {
    ServerCallStreamObserver<ForwardReply> call = (ServerCallStreamObserver<ForwardReply>) responseObserver;
    LocalForwards forwards;
    try {
      if (outbound == null) {
        throw new DevproxyException(ErrorCategory.CONFIG, "this daemon cannot forward ports; use a full devproxy build");
      }
      if (request.getForwardsList().isEmpty()) {
        throw new DevproxyException(ErrorCategory.USER, "nothing to forward: pass --forward SERVICE:PORT[:LOCAL_PORT]");
      }
      forwards = outbound.forward(request.getForwardsList());
    } catch (DevproxyException | RuntimeException e) {
      call.onError(ErrorStatus.toStatus(e));
      return;
    }
    call.setOnCancelHandler(forwards::close);
    if (call.isCancelled()) {
      forwards.close();
      return;
    }
    call.onNext(ForwardReply.newBuilder().addAllForwards(forwards.infos()).build());
    logger.info(() -> "forwarding " + forwards.infos().size() + " port(s) for a CLI command");
  }

  @Override
  public void list(ListRequest request, StreamObserver<ListReply> responseObserver) {
    unary(responseObserver, () -> services.list(request));
  }

  @Override
  public void quit(QuitRequest request, StreamObserver<QuitReply> responseObserver) {
    logger.info("quit requested");
    responseObserver.onNext(QuitReply.getDefaultInstance());
    responseObserver.onCompleted();
    onQuit.run();
  }

  /** What a unary RPC does; its failures reach the CLI with their category. */
  private interface Call<T> {
    T call() throws DevproxyException;
  }

  private static <T> void unary(StreamObserver<T> responseObserver, Call<T> call) {
    T reply;
    try {
      reply = call.call();
    } catch (DevproxyException | RuntimeException e) {
      responseObserver.onError(ErrorStatus.toStatus(e));
      return;
    }
    responseObserver.onNext(reply);
    responseObserver.onCompleted();
  }
}

package io.devproxy.daemon.control;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.Intercepts;
import io.devproxy.proto.daemon.DaemonGrpc;
import io.devproxy.proto.daemon.InterceptReply;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.LeaveReply;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.ListRequest;
import io.devproxy.proto.daemon.LeaveRequest;
import io.devproxy.proto.daemon.QuitReply;
import io.devproxy.proto.daemon.QuitRequest;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorStatus;
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

  /**
   * @param intercepts not owned: closed by whoever shuts the daemon down
   * @param onQuit runs on a gRPC thread after the Quit reply is sent; it must return promptly and stop the
   *     daemon in the background
   */
  public DaemonService(Intercepts intercepts, DaemonInfo info, Runnable onQuit) {
    this(intercepts, info, onQuit, new ServiceLister());
  }

  /** @param services answers {@code List}; tests pass one with a mock cluster's client */
  public DaemonService(Intercepts intercepts, DaemonInfo info, Runnable onQuit, ServiceLister services) {
    this.intercepts = requireNonNull(intercepts, "intercepts");
    this.info = requireNonNull(info, "info");
    this.onQuit = requireNonNull(onQuit, "onQuit");
    this.services = requireNonNull(services, "services");
  }

  @Override
  public void intercept(InterceptRequest request, StreamObserver<InterceptReply> responseObserver) {
    try {
      InterceptReply reply = InterceptReply.newBuilder().setIntercept(intercepts.intercept(request)).build();
      responseObserver.onNext(reply);
      responseObserver.onCompleted();
    } catch (DevproxyException | RuntimeException e) {
      responseObserver.onError(ErrorStatus.toStatus(e));
    }
  }

  @Override
  public void leave(LeaveRequest request, StreamObserver<LeaveReply> responseObserver) {
    try {
      intercepts.leave(request.getName());
      responseObserver.onNext(LeaveReply.getDefaultInstance());
      responseObserver.onCompleted();
    } catch (DevproxyException | RuntimeException e) {
      responseObserver.onError(ErrorStatus.toStatus(e));
    }
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusReply> responseObserver) {
    try {
      StatusReply reply =
          StatusReply.newBuilder()
              .setVersion(info.version())
              .setPid(info.pid())
              .setHome(info.home())
              .addAllIntercepts(intercepts.list())
              .build();
      responseObserver.onNext(reply);
      responseObserver.onCompleted();
    } catch (RuntimeException e) {
      responseObserver.onError(ErrorStatus.toStatus(e));
    }
  }

  @Override
  public void list(ListRequest request, StreamObserver<ListReply> responseObserver) {
    try {
      responseObserver.onNext(services.list(request));
      responseObserver.onCompleted();
    } catch (DevproxyException | RuntimeException e) {
      responseObserver.onError(ErrorStatus.toStatus(e));
    }
  }

  @Override
  public void quit(QuitRequest request, StreamObserver<QuitReply> responseObserver) {
    logger.info("quit requested");
    responseObserver.onNext(QuitReply.getDefaultInstance());
    responseObserver.onCompleted();
    onQuit.run();
  }
}

package io.devproxy.cli;

import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.DaemonGrpc;
import io.devproxy.proto.daemon.DeletePreviewReply;
import io.devproxy.proto.daemon.DeletePreviewRequest;
import io.devproxy.proto.daemon.ForwardRequest;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.GetEnvRequest;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptProgress;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.LeaveRequest;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.ListRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.QuitRequest;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.errors.ErrorStatus;
import io.devproxy.tunnel.netty.EventLoops;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The daemon's control API over its Unix domain socket. Daemon errors arrive as {@link DevproxyException}s
 * with their category; a daemon that stops answering as {@link DaemonUnreachableException}.
 *
 * <p>Owns its channel, one event loop thread and the threads that run the callbacks of asynchronous calls;
 * {@link #close()} releases them, and cancels a {@link ForwardCall} still open. The calls are thread-safe.
 */
public final class DaemonClient implements AutoCloseable {

  static final Duration STATUS_TIMEOUT = Duration.ofSeconds(10);
  /** Starting an intercept may roll out a Deployment and open a port-forward. */
  static final Duration INTERCEPT_TIMEOUT = Duration.ofMinutes(3);
  static final Duration LEAVE_TIMEOUT = Duration.ofMinutes(2);
  /** Listing reads Services and workloads from the cluster. */
  static final Duration LIST_TIMEOUT = Duration.ofMinutes(1);
  /** Until the daemon's first Forward reply: it checks the specs and binds local ports, nothing remote. */
  static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(30);

  private final Path socket;
  private final Path logFile;
  private final EventLoopGroup group;
  private final ExecutorService callbacks;
  private final ManagedChannel channel;

  /**
   * A client for the daemon listening on {@code socket}; connects lazily, on the first call.
   *
   * @param logFile the daemon's log, named in errors
   */
  public DaemonClient(Path socket, Path logFile) {
    this.socket = socket;
    this.logFile = logFile;
    this.group = EventLoops.newGroup("devproxy-cli", 1);
    // What gRPC would use by default (a cached pool of daemon threads), without its shared pool's thread factory,
    // which formats the thread names with String.format: loading the JDK's locale data, a good part of a short
    // command's start-up.
    this.callbacks = Executors.newCachedThreadPool(new DefaultThreadFactory("devproxy-cli-callback", true));
    this.channel =
        NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
            .channelType(NioDomainSocketChannel.class)
            .eventLoopGroup(group)
            .executor(callbacks)
            .usePlaintext()
            .build();
  }

  private DaemonGrpc.DaemonBlockingStub stub(Duration timeout) {
    return DaemonGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@link #intercept(InterceptRequest, Duration, Consumer)} with the default deadline and no progress. */
  public InterceptInfo intercept(InterceptRequest request) throws DevproxyException, DaemonUnreachableException {
    return intercept(request, INTERCEPT_TIMEOUT, line -> {});
  }

  /**
   * Starts an intercept, passing the daemon's progress lines on as they come. If this process is stopped
   * (Ctrl-C) meanwhile, the call is cancelled, and the daemon undoes what the intercept changed.
   *
   * @param timeout the deadline of the whole call (the rollout included)
   */
  public InterceptInfo intercept(InterceptRequest request, Duration timeout, Consumer<String> progress)
      throws DevproxyException, DaemonUnreachableException {
    Context.CancellableContext call = Context.current().withCancellation();
    Thread cancelOnExit = new Thread(() -> {
      call.cancel(null);
      try {
        Thread.sleep(300); // lets the event loop send the cancellation before the JVM stops
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "devproxy-cancel-intercept");
    Runtime.getRuntime().addShutdownHook(cancelOnExit);
    try {
      return call.call(() -> {
        Iterator<InterceptProgress> replies = stub(timeout).intercept(request);
        while (replies.hasNext()) {
          InterceptProgress reply = replies.next();
          if (reply.hasIntercept()) {
            return reply.getIntercept();
          }
          progress.accept(reply.getMessage());
        }
        throw new DevproxyException(ErrorCategory.INTERNAL, "the daemon ended the intercept call without an answer; check "
            + logFile);
      });
    } catch (StatusRuntimeException e) {
      if (call.isCancelled()) {
        throw new DevproxyException(ErrorCategory.USER, "interrupted; the daemon undoes what intercept '"
            + request.getName() + "' changed ('devproxy status' shows when it is gone)");
      }
      throw translate(e);
    } catch (DevproxyException e) {
      throw e;
    } catch (Exception e) {
      throw new DevproxyException(ErrorCategory.INTERNAL, "intercept failed: " + e, e);
    } finally {
      call.close();
      try {
        Runtime.getRuntime().removeShutdownHook(cancelOnExit);
      } catch (IllegalStateException e) {
        // the JVM is stopping: the hook runs
      }
    }
  }

  /**
   * Opens local ports that tunnel to cluster Services, {@code SERVICE:PORT[:LOCAL_PORT]} as the user typed them
   * (the daemon checks them), and returns once the daemon lists them as listening. The call has no deadline: the
   * ports stay open until the returned call is closed (or this client, or the process).
   *
   * @param endedByDaemon told, once, on a gRPC thread, why the daemon closed the ports while the call was open
   * @throws DevproxyException the daemon's error (a bad spec, a local port in use), with its category
   * @throws DaemonUnreachableException when the daemon does not answer within {@link #FORWARD_TIMEOUT}
   */
  public ForwardCall forward(List<String> specs, Consumer<String> endedByDaemon)
      throws DevproxyException, DaemonUnreachableException {
    ForwardCall.Replies replies = new ForwardCall.Replies(t -> endedByDaemon.accept(t == null
        ? "the daemon closed the --forward ports"
        : "the --forward ports closed: " + describe(t)));
    DaemonGrpc.newStub(channel).forward(ForwardRequest.newBuilder().addAllForwards(specs).build(), replies);
    try {
      replies.opened.get(FORWARD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new ForwardCall(replies);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException sre) {
        throw translate(sre);
      }
      throw new DevproxyException(ErrorCategory.INTERNAL, "the daemon ended the Forward call without the ports; check "
          + logFile);
    } catch (TimeoutException e) {
      replies.cancel();
      throw new DaemonUnreachableException("the daemon on " + socket + " did not open the --forward ports within "
          + FORWARD_TIMEOUT.toSeconds() + " s; check " + logFile, e);
    } catch (InterruptedException e) {
      replies.cancel();
      Thread.currentThread().interrupt();
      throw new DevproxyException(ErrorCategory.USER, "interrupted while the daemon opened the --forward ports");
    }
  }

  /** The message of the daemon's error behind {@code t}, for a line on stderr. */
  private String describe(Throwable t) {
    if (!(t instanceof StatusRuntimeException sre)) {
      return String.valueOf(t.getMessage());
    }
    try {
      return translate(sre).getMessage();
    } catch (DaemonUnreachableException e) {
      return e.getMessage();
    }
  }

  public UninstallReply uninstall(UninstallRequest request) throws DevproxyException, DaemonUnreachableException {
    return call(LEAVE_TIMEOUT, stub -> stub.uninstall(request));
  }

  public Preview createPreview(CreatePreviewRequest request) throws DevproxyException, DaemonUnreachableException {
    return call(LEAVE_TIMEOUT, stub -> stub.createPreview(request));
  }

  public DeletePreviewReply deletePreview(DeletePreviewRequest request)
      throws DevproxyException, DaemonUnreachableException {
    return call(LEAVE_TIMEOUT, stub -> stub.deletePreview(request));
  }

  public GetEnvReply getEnv(String name) throws DevproxyException, DaemonUnreachableException {
    return call(LEAVE_TIMEOUT, stub -> stub.getEnv(GetEnvRequest.newBuilder().setName(name).build()));
  }

  public void leave(String name) throws DevproxyException, DaemonUnreachableException {
    call(LEAVE_TIMEOUT, stub -> stub.leave(LeaveRequest.newBuilder().setName(name).build()));
  }

  public StatusReply status() throws DevproxyException, DaemonUnreachableException {
    return call(STATUS_TIMEOUT, stub -> stub.status(StatusRequest.getDefaultInstance()));
  }

  public ListReply list(ListRequest request) throws DevproxyException, DaemonUnreachableException {
    return call(LIST_TIMEOUT, stub -> stub.list(request));
  }

  /** Asks the daemon to stop; returns when it has accepted, before it has stopped. */
  public void quit() throws DevproxyException, DaemonUnreachableException {
    call(STATUS_TIMEOUT, stub -> stub.quit(QuitRequest.getDefaultInstance()));
  }

  /** One unary call with {@code timeout}; a failure becomes the daemon's error, or unreachable. */
  private <T> T call(Duration timeout, Function<DaemonGrpc.DaemonBlockingStub, T> call)
      throws DevproxyException, DaemonUnreachableException {
    try {
      return call.apply(stub(timeout));
    } catch (StatusRuntimeException e) {
      throw translate(e);
    }
  }

  /** The daemon's error for {@code e}, to throw; or, when the daemon never answered, unreachable. */
  private DevproxyException translate(StatusRuntimeException e) throws DaemonUnreachableException {
    boolean fromDaemon = e.getTrailers() != null && e.getTrailers().containsKey(ErrorStatus.CATEGORY_KEY);
    Status.Code code = e.getStatus().getCode();
    if (!fromDaemon && (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED)) {
      String what = code == Status.Code.UNAVAILABLE ? "stopped answering" : "did not answer in time";
      throw new DaemonUnreachableException(
          "the daemon on " + socket + " " + what + " (" + e.getStatus().getDescription() + "); check " + logFile, e);
    }
    return ErrorStatus.fromStatus(e);
  }

  /** Closes the channel, its callback threads and its event loop; does not wait for the threads, daemon threads. */
  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    callbacks.shutdown();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}

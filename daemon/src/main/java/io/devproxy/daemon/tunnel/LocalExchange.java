package io.devproxy.daemon.tunnel;

import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Head;
import io.devproxy.tunnel.bridge.ExchangeBridge;
import io.devproxy.tunnel.http.ErrorResponses;
import io.devproxy.tunnel.upstream.UpstreamExchange;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Exchange stream on the daemon side: idle until the agent sends a request head, then connected to the
 * local service through an {@link ExchangeBridge}. When nothing listens locally, the caller gets a 502 (gRPC:
 * UNAVAILABLE) that says so, never a hang.
 */
final class LocalExchange implements ClientResponseObserver<ExchangeFrame, ExchangeFrame> {

  private static final Logger logger = Logger.getLogger(LocalExchange.class.getName());

  private final AgentConnection connection;
  private final Function<String, LocalTarget> targets;
  private final EventLoopGroup group;
  private ClientCallStreamObserver<ExchangeFrame> call;
  private volatile ExchangeBridge bridge;
  private boolean used;
  private boolean ended;

  LocalExchange(AgentConnection connection, Function<String, LocalTarget> targets, EventLoopGroup group) {
    this.connection = connection;
    this.targets = targets;
    this.group = group;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ExchangeFrame> requestStream) {
    this.call = requestStream;
    requestStream.disableAutoRequestWithInitial(1);
    requestStream.setOnReadyHandler(() -> {
      ExchangeBridge current = bridge;
      if (current != null) {
        current.onCallReady();
      }
    });
  }

  void offer(ExchangeFrame offer) {
    call.onNext(offer);
  }

  @Override
  public void onNext(ExchangeFrame frame) {
    ExchangeBridge current = bridge;
    if (current != null) {
      current.onFrame(frame);
      return;
    }
    synchronized (this) {
      if (used) {
        logger.fine(() -> "frame before the local exchange was ready: " + frame.getKindCase());
        return;
      }
      used = true;
    }
    if (!frame.hasHead()) {
      connection.streamUsed();
      call.cancel("devproxy: expected a request head", null);
      return;
    }
    Head head = frame.getHead();
    LocalTarget target = targets.apply(head.getSessionId());
    boolean grpc = head.getHeadersList().stream()
        .anyMatch(h -> h.getName().equals("content-type") && h.getValue().startsWith("application/grpc"));
    if (target == null) {
      connection.streamUsed();
      respondAndClose(ErrorResponses.frames(grpc, HttpResponseStatus.SERVICE_UNAVAILABLE, Status.Code.UNAVAILABLE,
          "devproxy: this daemon has no intercept for session " + head.getSessionId()));
      return;
    }
    target.onRequest().run();
    Future<UpstreamExchange> open = target.upstream().open(currentLoopOrNext(), head.getProtocol());
    // The replacement idle stream is opened after the local connection was asked for: off the critical path.
    connection.streamUsed();
    open.addListener(f -> {
      if (!open.isSuccess()) {
        String reason = open.cause() instanceof ConnectException
            ? "nothing listening on " + target.upstream().displayAddress()
            : "cannot reach " + target.upstream().displayAddress() + ": " + open.cause().getMessage();
        logger.log(Level.FINE, reason, open.cause());
        respondAndClose(ErrorResponses.frames(grpc, HttpResponseStatus.BAD_GATEWAY, Status.Code.UNAVAILABLE,
            "devproxy: " + reason));
        return;
      }
      UpstreamExchange local = open.getNow();
      ExchangeBridge created = new ExchangeBridge(local.channel(), local.http2(), ExchangeBridge.Side.DAEMON, call,
          "", head.getProtocol(), (b, clean) -> local.release(clean));
      created.grpc(grpc);
      local.owner(created);
      boolean alreadyEnded;
      synchronized (this) {
        alreadyEnded = ended;
        bridge = created;
      }
      if (alreadyEnded) {
        created.onCallError(Status.CANCELLED.asRuntimeException());
        return;
      }
      created.onFrame(frame);
      created.start();
    });
  }

  /**
   * The event loop running this callback when it is one of the daemon's (gRPC delivers on its transport's
   * loop): the local exchange then runs on the same thread as its tunnel stream, without a hop per frame.
   */
  private EventLoop currentLoopOrNext() {
    for (EventExecutor executor : group) {
      if (executor.inEventLoop()) {
        return (EventLoop) executor;
      }
    }
    return group.next();
  }

  private void respondAndClose(List<ExchangeFrame> frames) {
    for (ExchangeFrame frame : frames) {
      call.onNext(frame);
    }
    call.onCompleted();
    // The agent closes the call once the response is through; the request frames still in flight are
    // discarded by gRPC.
    call.request(Integer.MAX_VALUE);
  }

  @Override
  public void onError(Throwable t) {
    ExchangeBridge current = ended();
    if (current != null) {
      current.onCallError(t);
    }
  }

  @Override
  public void onCompleted() {
    ExchangeBridge current = ended();
    if (current != null) {
      current.onCallCompleted();
    }
  }

  /**
   * Marks the stream ended; returns the bridge to tell, or null. A stream that ends while still idle (the
   * agent went away) makes the connection open a replacement later.
   */
  private ExchangeBridge ended() {
    ExchangeBridge current;
    boolean wasUsed;
    synchronized (this) {
      ended = true;
      current = bridge;
      wasUsed = used;
      used = true;
    }
    if (current == null && !wasUsed) {
      connection.idleStreamFailed();
    }
    return current;
  }
}

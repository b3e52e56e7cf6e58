package io.devproxy.agent.tunnel;

import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.tunnel.bridge.ExchangeBridge;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/**
 * One Exchange stream opened by a daemon. Idle until the agent hands it an HTTP exchange, then it feeds the
 * stream's events to that exchange's {@link ExchangeBridge}. Used once.
 *
 * <p>gRPC calls its {@link StreamObserver} methods serially; {@link #attach} races with them, hence the lock.
 */
public final class TunnelStream implements StreamObserver<ExchangeFrame> {

  private static final Logger logger = Logger.getLogger(TunnelStream.class.getName());

  private final ServerCallStreamObserver<ExchangeFrame> call;
  private final ClientDirectory clients;
  private ClientStreams owner;
  private ExchangeBridge bridge;
  private boolean ended;
  private Throwable error;

  TunnelStream(ServerCallStreamObserver<ExchangeFrame> call, ClientDirectory clients) {
    this.call = call;
    this.clients = clients;
    call.disableAutoRequest();
    call.setOnReadyHandler(this::onReady);
    call.setOnCancelHandler(() -> onError(io.grpc.Status.CANCELLED.asRuntimeException()));
    call.request(1); // the Offer
  }

  /** The gRPC stream, to build a bridge on. */
  public ServerCallStreamObserver<ExchangeFrame> call() {
    return call;
  }

  /**
   * Binds this stream to an exchange. Returns false when the stream died while idle (the caller takes
   * another one).
   */
  public boolean attach(ExchangeBridge bridge) {
    synchronized (this) {
      if (ended || this.bridge != null || call.isCancelled()) {
        return false;
      }
      this.bridge = bridge;
    }
    return true;
  }

  @Override
  public void onNext(ExchangeFrame frame) {
    ExchangeBridge current;
    synchronized (this) {
      current = bridge;
    }
    if (current != null) {
      current.onFrame(frame);
      return;
    }
    if (frame.hasOffer() && owner == null) {
      owner = clients.streamsOf(frame.getOffer().getClientId());
      owner.offer(this);
      return;
    }
    logger.fine(() -> "unexpected frame on an idle exchange stream: " + frame.getKindCase());
    call.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("expected an Offer").asRuntimeException());
    markEnded(null);
  }

  private void onReady() {
    ExchangeBridge current;
    synchronized (this) {
      current = bridge;
    }
    if (current != null) {
      current.onCallReady();
    }
  }

  @Override
  public void onError(Throwable t) {
    ExchangeBridge current = markEnded(t);
    if (current != null) {
      current.onCallError(t);
    }
  }

  @Override
  public void onCompleted() {
    ExchangeBridge current = markEnded(null);
    if (current != null) {
      current.onCallCompleted();
    } else {
      call.onCompleted();
    }
  }

  private ExchangeBridge markEnded(Throwable t) {
    ExchangeBridge current;
    synchronized (this) {
      if (ended) {
        return null;
      }
      ended = true;
      error = t;
      current = bridge;
    }
    if (current == null && owner != null) {
      owner.remove(this);
    }
    return current;
  }

  synchronized boolean usable() {
    return !ended && bridge == null && !call.isCancelled();
  }

  @Override
  public synchronized String toString() {
    return "TunnelStream{ended=" + ended + ", attached=" + (bridge != null) + (error != null ? ", error=" + error : "") + "}";
  }
}

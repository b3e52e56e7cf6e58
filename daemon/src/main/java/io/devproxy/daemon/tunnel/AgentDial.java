package io.devproxy.daemon.tunnel;

import io.devproxy.daemon.outbound.DialException;
import io.devproxy.daemon.outbound.DialedConnection;
import io.devproxy.proto.tunnel.DialFrame;
import io.devproxy.proto.tunnel.DialRequest;
import io.devproxy.tunnel.dial.DialRelay;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One outbound connection through an agent: a Dial stream that asks the agent to connect, completes {@link
 * #result()} when it did (or with what failed), then relays the local socket it is {@linkplain #attach attached}
 * to.
 *
 * <p>Thread-safe: gRPC's callbacks, the timeout and the caller's attach race, hence the lock.
 */
final class AgentDial implements ClientResponseObserver<DialFrame, DialFrame>, DialedConnection {

  private static final Logger logger = Logger.getLogger(AgentDial.class.getName());
  /** What the agent may take to connect; it resolves first, so the daemon waits a little longer. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration ANSWER_TIMEOUT = CONNECT_TIMEOUT.plusSeconds(5);

  private final String target;
  private final String via;
  private final CompletableFuture<DialedConnection> result = new CompletableFuture<>();
  private ClientCallStreamObserver<DialFrame> call;
  private ScheduledFuture<?> timeout;
  private String remoteAddress = "";
  private DialRelay relay;
  private Throwable earlyError;
  private boolean earlyCompleted;
  private boolean attached;

  private AgentDial(String target, String via) {
    this.target = target;
    this.via = via;
  }

  /**
   * Opens the Dial stream on {@code connection} for {@code host:port}.
   *
   * @param via the agent in messages, e.g. {@code agent orders-7d9c-x2x4q of intercept orders}
   */
  static AgentDial open(AgentConnection connection, String host, int port, String via,
      ScheduledExecutorService scheduler) {
    AgentDial dial = new AgentDial(host + ":" + port, via);
    // The connection outlives whatever call triggered it.
    Context.ROOT.run(() -> connection.stub().dial(dial));
    synchronized (dial) {
      dial.timeout = scheduler.schedule(dial::answerTimedOut, ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
    dial.call.onNext(DialFrame.newBuilder().setRequest(DialRequest.newBuilder()
        .setHost(host).setPort(port).setConnectTimeoutMillis((int) CONNECT_TIMEOUT.toMillis())).build());
    return dial;
  }

  CompletableFuture<DialedConnection> result() {
    return result;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<DialFrame> requestStream) {
    this.call = requestStream;
    requestStream.disableAutoRequestWithInitial(1); // Dialed; the relay asks for the rest
    requestStream.setOnReadyHandler(() -> {
      DialRelay current;
      synchronized (this) {
        current = relay;
      }
      if (current != null) {
        current.onCallReady();
      }
    });
  }

  @Override
  public void onNext(DialFrame frame) {
    DialRelay current;
    synchronized (this) {
      current = relay;
      if (current == null && frame.hasDialed() && remoteAddress.isEmpty()) {
        remoteAddress = frame.getDialed().getRemoteAddress();
        timeout.cancel(false);
      }
    }
    if (current != null) {
      current.onFrame(frame);
    } else if (frame.hasDialed()) {
      logger.fine(() -> "dialed " + target + " (" + frame.getDialed().getRemoteAddress() + ") " + via);
      result.complete(this);
    } else {
      call.cancel("devproxy: expected Dialed, got " + frame.getKindCase(), null);
    }
  }

  @Override
  public void onError(Throwable t) {
    DialRelay current;
    synchronized (this) {
      current = relay;
      if (current == null) {
        earlyError = t;
      }
      if (timeout != null) {
        timeout.cancel(false);
      }
    }
    if (current != null) {
      current.onCallError(t);
    } else if (!result.completeExceptionally(failure(Status.fromThrowable(t)))) {
      logger.fine(() -> "dial to " + target + " ended before its socket was attached: " + Status.fromThrowable(t));
    }
  }

  @Override
  public void onCompleted() {
    DialRelay current;
    synchronized (this) {
      current = relay;
      earlyCompleted = current == null;
    }
    if (current != null) {
      current.onCallCompleted();
    } else {
      result.completeExceptionally(new DialException(DialException.Kind.OTHER, "devproxy: the agent ended the dial"
          + " to " + target + " without connecting (" + via + ")"));
    }
  }

  private void answerTimedOut() {
    if (result.completeExceptionally(new DialException(DialException.Kind.TIMEOUT, "devproxy: no answer from "
        + via + " within " + ANSWER_TIMEOUT.toSeconds() + " s for " + target + "; check the agent's log"))) {
      call.cancel("devproxy: dial timed out", null);
    }
  }

  /** The agent's status as a failure the proxy protocols can report. */
  private DialException failure(Status status) {
    String reason = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
    return switch (status.getCode()) {
      case NOT_FOUND -> new DialException(DialException.Kind.UNRESOLVED, "devproxy: " + reason + " (" + via + ")");
      case DEADLINE_EXCEEDED -> new DialException(DialException.Kind.TIMEOUT, "devproxy: " + reason + " (" + via + ")");
      case INVALID_ARGUMENT -> new DialException(DialException.Kind.INVALID, "devproxy: " + reason);
      case UNIMPLEMENTED -> new DialException(DialException.Kind.OTHER, "devproxy: " + via
          + " runs an agent too old to dial out; update it (devproxy uninstall, then intercept again)");
      case UNAVAILABLE -> reason.startsWith("cannot connect")
          ? new DialException(DialException.Kind.REFUSED, "devproxy: " + reason + " (" + via + ")")
          : new DialException(DialException.Kind.OTHER, "devproxy: the tunnel to " + via + " failed while dialing "
              + target + ": " + reason);
      default -> new DialException(DialException.Kind.OTHER, "devproxy: dialing " + target + " through " + via
          + " failed: " + status.getCode() + " " + reason);
    };
  }

  @Override
  public String remoteAddress() {
    synchronized (this) {
      return remoteAddress;
    }
  }

  @Override
  public void attach(Channel socket) {
    DialRelay created = new DialRelay(socket, call, DialRelay.Side.DAEMON);
    Throwable error;
    boolean completed;
    synchronized (this) {
      if (attached) {
        throw new IllegalStateException("already attached");
      }
      attached = true;
      relay = created;
      error = earlyError;
      completed = earlyCompleted;
    }
    created.start();
    if (error != null) {
      created.onCallError(error);
    } else if (completed) {
      created.onCallCompleted();
    }
  }

  @Override
  public void abort() {
    call.cancel("devproxy: the local client went away", null);
  }
}

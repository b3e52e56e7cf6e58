package io.devproxy.daemon.tunnel;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.tunnel.AgentMessage;
import io.devproxy.proto.tunnel.ControlMessage;
import io.devproxy.proto.tunnel.Heartbeat;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.Register;
import io.devproxy.proto.tunnel.Unregister;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

/**
 * One intercept: its session on the agent, kept alive by a control stream with heartbeats, re-registered
 * after the stream breaks (with backoff), so the agent resumes it within its grace period.
 *
 * <p>Thread-safe; its state changes under its own lock.
 */
final class InterceptSession implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(InterceptSession.class.getName());
  static final Duration HEARTBEAT = Duration.ofSeconds(2);
  private static final int MISSED_HEARTBEATS = 3;
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  enum State { CONNECTING, ACTIVE, RECONNECTING, CLOSED }

  private final InterceptRequest request;
  private final String sessionId;
  private final String owner;
  private final Matcher matcher;
  private final AgentConnection connection;
  /** The agent in messages: its address, or its pod and the forward's address. */
  private final String agent;
  /** What to check when the agent cannot be reached at all. */
  private final String unreachableHint;
  private final ScheduledExecutorService scheduler;
  private final LocalTarget target;

  private State state = State.CONNECTING;
  private String lastError = "";
  private long rttMicros;
  private long lastHeartbeatReplyNanos;
  private ClientCallStreamObserver<ControlMessage> control;
  private ScheduledFuture<?> heartbeats;
  private long backoffMillis = 250;
  private volatile String lastLoggedFailure;
  private final CompletableFuture<Void> firstRegistration = new CompletableFuture<>();

  InterceptSession(InterceptRequest request, String sessionId, String owner, Matcher matcher,
      AgentConnection connection, String agent, String unreachableHint, LocalTarget target,
      ScheduledExecutorService scheduler) {
    this.request = requireNonNull(request, "request");
    this.sessionId = requireNonNull(sessionId, "sessionId");
    this.owner = owner;
    this.matcher = matcher;
    this.connection = connection;
    this.agent = agent;
    this.unreachableHint = unreachableHint;
    this.scheduler = scheduler;
    this.target = target;
  }

  String name() {
    return request.getName();
  }

  String sessionId() {
    return sessionId;
  }

  InterceptRequest request() {
    return request;
  }

  AgentConnection connection() {
    return connection;
  }

  LocalTarget target() {
    return target;
  }

  /** The agent in messages: {@code at HOST:PORT} or {@code in pod P (port-forward ...)}. */
  String agent() {
    return agent;
  }

  /** Opens the control stream and registers; {@link #registration} completes on the first Registered or Rejected. */
  void start() {
    openControl();
  }

  /** Completes when the agent first registered the session; fails when it refused or could not be reached. */
  CompletableFuture<Void> registration() {
    return firstRegistration;
  }

  private void openControl() {
    ControlObserver observer = new ControlObserver();
    // The control stream outlives the CLI request that started it: detach it from that call's Context,
    // whose cancellation would otherwise cancel this stream when the CLI's call completes.
    Context.ROOT.run(() -> connection.stub().control(observer));
    observer.register();
  }

  /** Reads one control stream. A new one per (re)connection. */
  private final class ControlObserver implements ClientResponseObserver<ControlMessage, AgentMessage> {
    private ClientCallStreamObserver<ControlMessage> stream;

    @Override
    public void beforeStart(ClientCallStreamObserver<ControlMessage> requestStream) {
      stream = requestStream;
      synchronized (InterceptSession.this) {
        if (state == State.CLOSED) {
          requestStream.cancel("intercept closed", null);
          return;
        }
        control = requestStream;
      }
    }

    /** Sends the registration; gRPC takes messages only after the call started. */
    void register() {
      synchronized (InterceptSession.this) {
        if (control != stream) {
          return;
        }
      }
      stream.onNext(ControlMessage.newBuilder().setRegister(Register.newBuilder()
          .setSessionId(sessionId)
          .setClientId(connection.clientId())
          .setOwner(owner)
          .setName(request.getName())
          .setMatcher(matcher)).build());
    }

    @Override
    public void onNext(AgentMessage message) {
      switch (message.getKindCase()) {
        case REGISTERED -> {
          synchronized (InterceptSession.this) {
            state = State.ACTIVE;
            lastError = "";
            backoffMillis = 250;
            lastHeartbeatReplyNanos = System.nanoTime();
            if (heartbeats != null) {
              heartbeats.cancel(false);
            }
            heartbeats = scheduler.scheduleAtFixedRate(() -> heartbeat(stream), HEARTBEAT.toMillis(), HEARTBEAT.toMillis(),
                TimeUnit.MILLISECONDS);
          }
          lastLoggedFailure = null;
          logger.info(() -> "[" + request.getName() + "] session " + sessionId + (message.getRegistered().getResumed()
              ? " resumed" : " registered") + " on agent " + agent);
          connection.refill();
          firstRegistration.complete(null);
        }
        case REJECTED -> {
          String reason = message.getRejected().getReason();
          synchronized (InterceptSession.this) {
            lastError = reason;
          }
          firstRegistration.completeExceptionally(new DevproxyException(ErrorCategory.USER,
              "the agent " + agent + " refused intercept '" + request.getName() + "': " + reason));
          stream.cancel("the agent refused the session: " + reason, null); // status shows why
        }
        case HEARTBEAT -> {
          long sent = message.getHeartbeat().getUnixMillis();
          synchronized (InterceptSession.this) {
            lastHeartbeatReplyNanos = System.nanoTime();
            rttMicros = Math.max(0, (System.currentTimeMillis() - sent) * 1000);
          }
        }
        case DEMAND -> connection.demand(Math.min(64, Math.max(1, message.getDemand().getStreams())));
        default -> {
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      String certificateProblem = certificateProblem(agent, t);
      broken(stream, certificateProblem != null ? certificateProblem : describe(t), certificateProblem != null);
    }

    @Override
    public void onCompleted() {
      broken(stream, "the agent closed the control stream", false);
    }
  }

  private void heartbeat(ClientCallStreamObserver<ControlMessage> stream) {
    boolean dead;
    synchronized (this) {
      if (control != stream || state != State.ACTIVE) {
        return;
      }
      dead = System.nanoTime() - lastHeartbeatReplyNanos > HEARTBEAT.toNanos() * MISSED_HEARTBEATS;
      if (!dead) {
        stream.onNext(ControlMessage.newBuilder()
            .setHeartbeat(Heartbeat.newBuilder().setUnixMillis(System.currentTimeMillis())).build());
      }
    }
    if (dead) {
      stream.cancel("devproxy: no heartbeat from the agent for " + MISSED_HEARTBEATS + " intervals", null);
    }
  }

  /**
   * @param cause one line for the user
   * @param certificates whether {@code cause} is a certificate problem, which already says what to do
   */
  private void broken(ClientCallStreamObserver<ControlMessage> stream, String cause, boolean certificates) {
    long delay;
    synchronized (this) {
      if (control != stream || state == State.CLOSED) {
        return;
      }
      control = null;
      if (heartbeats != null) {
        heartbeats.cancel(false);
        heartbeats = null;
      }
      lastError = cause;
      if (!firstRegistration.isDone()) {
        state = State.CLOSED;
      } else {
        state = State.RECONNECTING;
      }
      delay = backoffMillis;
      backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
    }
    if (!firstRegistration.isDone()) {
      firstRegistration.completeExceptionally(new DevproxyException(ErrorCategory.CLUSTER, certificates ? cause
          : "cannot reach the agent " + agent + ": " + cause + "; " + unreachableHint));
      return;
    }
    // The same failure repeating every few seconds (an agent that is down, a CA that is not trusted) is
    // logged once; what changes is logged again.
    boolean repeated = cause.equals(lastLoggedFailure);
    lastLoggedFailure = cause;
    logger.log(repeated ? Level.FINE : Level.WARNING, () -> "[" + request.getName() + "] tunnel to "
        + agent + " broke (" + cause + "); reconnecting in " + delay + " ms");
    scheduler.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
  }

  private void reconnect() {
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
    }
    openControl();
  }

  /** Starts in RECONNECTING mode: a restarted daemon resumes a saved intercept without failing on absence. */
  void resume() {
    firstRegistration.complete(null);
    synchronized (this) {
      state = State.RECONNECTING;
    }
    openControl();
  }

  /**
   * A failed call in one line: {@code UNAVAILABLE: io exception (Signature does not match.)}. Only the first
   * line of each message: Netty appends the channel pipeline to its exceptions' messages.
   */
  static String describe(Throwable t) {
    Status status = Status.fromThrowable(t);
    StringBuilder out = new StringBuilder(status.getCode().toString());
    if (status.getDescription() != null) {
      out.append(": ").append(firstLine(status.getDescription()));
    }
    Throwable cause = status.getCause();
    while (cause != null && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause != null && cause.getMessage() != null) {
      out.append(" (").append(firstLine(cause.getMessage())).append(')');
    }
    return out.toString();
  }

  /**
   * The sentence for a call to the agent at {@code address} that failed the TLS handshake or a certificate
   * check (the agent refused our certificate, or we do not trust its own), with the fix; null for any other
   * failure.
   */
  static String certificateProblem(String address, Throwable t) {
    Throwable cause = Status.fromThrowable(t).getCause();
    boolean tls = false;
    String detail = null;
    for (; cause != null; cause = cause.getCause()) {
      tls |= cause instanceof SSLException || cause instanceof GeneralSecurityException;
      if (cause.getMessage() != null) {
        detail = firstLine(cause.getMessage());
      }
    }
    if (!tls) {
      return null;
    }
    return "the agent " + address + " refused our certificate or presented one we do not trust"
        + (detail == null ? "" : " (" + detail + ")")
        + "; run 'devproxy certs agent --out DIR' on the agent's TLS directory";
  }

  private static String firstLine(String message) {
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).strip();
  }

  /** The session's state on its agent, for status. */
  record Snapshot(State state, String lastError, long rttMicros) {}

  synchronized Snapshot snapshot() {
    return new Snapshot(state, lastError, rttMicros);
  }

  /** Unregisters (the agent drops the session at once) and stops reconnecting. */
  @Override
  public void close() {
    ClientCallStreamObserver<ControlMessage> stream;
    synchronized (this) {
      if (state == State.CLOSED && control == null) {
        return;
      }
      state = State.CLOSED;
      stream = control;
      control = null;
      if (heartbeats != null) {
        heartbeats.cancel(false);
      }
    }
    if (stream != null) {
      try {
        stream.onNext(ControlMessage.newBuilder()
            .setUnregister(Unregister.newBuilder().setSessionId(sessionId)).build());
        stream.onCompleted();
      } catch (RuntimeException e) {
        // the stream is already gone: the agent drops the session after its grace period
      }
    }
  }
}

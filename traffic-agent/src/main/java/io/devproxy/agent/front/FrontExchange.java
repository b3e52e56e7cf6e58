package io.devproxy.agent.front;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.admin.AgentMetrics.Route;
import io.devproxy.agent.routing.RequestMatcher;
import io.devproxy.agent.routing.Session;
import io.devproxy.agent.tunnel.ClientStreams;
import io.devproxy.agent.tunnel.TunnelStream;
import io.devproxy.proto.tunnel.Protocol;
import io.devproxy.tunnel.bridge.ExchangeBridge;
import io.devproxy.tunnel.http.ErrorResponses;
import io.devproxy.tunnel.http.HttpFrames;
import io.devproxy.tunnel.netty.ChannelEvents;
import io.devproxy.tunnel.upstream.UpstreamExchange;
import io.grpc.Status;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One request read from a caller (an HTTP/1.1 request or an HTTP/2 stream): where it is matched and sent —
 * through the tunnel to a session's daemon, to the app, or answered with an error — and run to its end.
 *
 * <p>Confined to the caller channel's event loop, except the callbacks from {@link ClientStreams}, which hop
 * there.
 */
final class FrontExchange implements ChannelEvents {

  private static final Logger logger = Logger.getLogger(FrontExchange.class.getName());

  /** Told once when the exchange is over; on the event loop. */
  interface Done {
    /** @param clean whether the caller's connection may carry another request */
    void onDone(boolean clean);
  }

  private final AgentContext context;
  private final Channel front;
  private final boolean http2;
  private final Protocol protocol;
  private final Done done;
  private ChannelEvents delegate;
  /** Body parts decoded in the same read as the head, before the exchange knew where to send them. */
  private final ArrayDeque<HttpObject> early = new ArrayDeque<>();
  private boolean closed;

  FrontExchange(AgentContext context, Channel front, boolean http2, Done done) {
    this.context = context;
    this.front = front;
    this.http2 = http2;
    this.protocol = http2 ? Protocol.HTTP_2 : Protocol.HTTP_1_1;
    this.done = once(done);
  }

  private static Done once(Done done) {
    AtomicBoolean called = new AtomicBoolean();
    return clean -> {
      if (called.compareAndSet(false, true)) {
        done.onDone(clean);
      }
    };
  }

  /** Routes {@code request} (ownership taken) and starts the exchange. */
  void start(HttpRequest request) {
    String authority = request.headers().get(HttpHeaderNames.HOST, "");
    RequestMatcher.Request view = new RequestMatcher.Request(request.method().name(), authority,
        originForm(request.uri()), request.headers());
    boolean grpc = HttpFrames.isGrpc(request.headers());
    Session session = context.sessions().route(view);
    if (session != null) {
      session.countRequest();
      tunnel(session, request, grpc);
    } else {
      toApp(request, grpc, Route.APP);
    }
  }

  /**
   * The path and query of a request target: an absolute-form target ({@code GET http://host/p}, RFC 9112
   * section 3.2.2, sent by clients that think they talk to a proxy) is matched by its path like any other.
   */
  static String originForm(String target) {
    int scheme = target.indexOf("://");
    if (scheme <= 0 || target.startsWith("/")) {
      return target;
    }
    int path = target.indexOf('/', scheme + 3);
    int query = target.indexOf('?', scheme + 3);
    if (path < 0 || (query >= 0 && query < path)) {
      return query < 0 ? "/" : "/" + target.substring(query);
    }
    return target.substring(path);
  }

  // ---- tunnel ----

  private void tunnel(Session session, HttpRequest request, boolean grpc) {
    ClientStreams streams = context.clients().streamsOf(session.clientId());
    TunnelStream stream = streams.poll();
    if (stream != null && attach(stream, session, request, grpc)) {
      return;
    }
    context.metrics().streamWait();
    Waiter waiter = new Waiter(session, streams, request, grpc);
    delegate = waiter;
    waiter.timeout = front.eventLoop().schedule(waiter::timedOut, context.streamWait().toMillis(), TimeUnit.MILLISECONDS);
    streams.await(waiter);
  }

  /** Binds the exchange to {@code stream}; false when the stream died meanwhile. Event loop only. */
  private boolean attach(TunnelStream stream, Session session, HttpRequest request, boolean grpc) {
    AgentMetrics metrics = context.metrics();
    ExchangeBridge bridge = new ExchangeBridge(front, http2, ExchangeBridge.Side.AGENT, stream.call(), session.id(),
        protocol, (b, clean) -> {
          metrics.tunnelExchangeEnded();
          done.onDone(clean);
        });
    bridge.grpc(grpc);
    if (!stream.attach(bridge)) {
      return false;
    }
    metrics.request(Route.TUNNEL);
    metrics.tunnelExchangeStarted();
    delegate = bridge;
    if (closed) {
      ReferenceCountUtil.release(request);
      releaseEarly();
      bridge.onChannelReset(io.netty.handler.codec.http2.Http2Error.CANCEL.code());
      return true;
    }
    bridge.onChannelRead(request);
    bridge.start();
    replayEarly();
    return true;
  }

  /** A matched exchange waiting for the daemon to offer a stream. */
  private final class Waiter implements ClientStreams.Waiter, ChannelEvents {
    private final Session session;
    private final ClientStreams streams;
    private final HttpRequest request;
    private final boolean grpc;
    private final AtomicBoolean claimed = new AtomicBoolean();
    ScheduledFuture<?> timeout;

    Waiter(Session session, ClientStreams streams, HttpRequest request, boolean grpc) {
      this.session = session;
      this.streams = streams;
      this.request = request;
      this.grpc = grpc;
    }

    @Override
    public Session session() {
      return session;
    }

    @Override
    public boolean onStream(TunnelStream stream) {
      if (!claimed.compareAndSet(false, true)) {
        return false;
      }
      front.eventLoop().execute(() -> {
        cancelTimeout();
        if (!attach(stream, session, request, grpc)) {
          respondError(front, http2, grpc, HttpResponseStatus.BAD_GATEWAY, Status.Code.UNAVAILABLE,
              "devproxy: the tunnel stream to " + session.owner() + " closed before use");
          ReferenceCountUtil.release(request);
          releaseEarly();
          done.onDone(false);
        }
      });
      return true;
    }

    @Override
    public void onSessionDropped() {
      if (claimed.compareAndSet(false, true)) {
        front.eventLoop().execute(() -> {
          cancelTimeout();
          toApp(request, grpc, Route.FALLBACK);
        });
      }
    }

    void timedOut() {
      if (claimed.compareAndSet(false, true)) {
        streams.cancel(this);
        ReferenceCountUtil.release(request);
        releaseEarly();
        respondError(front, http2, grpc, HttpResponseStatus.SERVICE_UNAVAILABLE, Status.Code.UNAVAILABLE,
            "devproxy: " + session.owner() + "'s daemon opened no tunnel stream within "
                + context.streamWait().toSeconds() + " s");
        done.onDone(request instanceof LastHttpContent);
      }
    }

    private void cancelTimeout() {
      if (timeout != null) {
        timeout.cancel(false);
      }
    }

    @Override
    public void onChannelRead(HttpObject msg) {
      ReferenceCountUtil.release(msg); // not reading while waiting; nothing should come
    }

    @Override
    public void onChannelWritable() {}

    @Override
    public void onChannelReset(long http2ErrorCode) {
      if (claimed.compareAndSet(false, true)) {
        cancelTimeout();
        streams.cancel(this);
        ReferenceCountUtil.release(request);
        done.onDone(false);
      }
    }
  }

  // ---- app ----

  private void toApp(HttpRequest request, boolean grpc, Route route) {
    if (context.app() == null) {
      context.metrics().request(Route.NO_APP);
      ReferenceCountUtil.release(request);
      releaseEarly();
      respondError(front, http2, grpc, HttpResponseStatus.SERVICE_UNAVAILABLE, Status.Code.UNAVAILABLE,
          "devproxy: no session matches this request and this agent has no app to pass it to");
      done.onDone(request instanceof LastHttpContent);
      return;
    }
    context.metrics().request(route);
    Future<UpstreamExchange> open = context.app().open(front.eventLoop(), protocol);
    open.addListener(f -> {
      if (!open.isSuccess()) {
        ReferenceCountUtil.release(request);
        releaseEarly();
        String reason = open.cause() instanceof ConnectException
            ? "nothing listening on " + context.app().displayAddress()
            : "cannot reach the app at " + context.app().displayAddress() + ": " + open.cause().getMessage();
        logger.log(Level.FINE, reason, open.cause());
        respondError(front, http2, grpc, HttpResponseStatus.BAD_GATEWAY, Status.Code.UNAVAILABLE, "devproxy: " + reason);
        done.onDone(false);
        return;
      }
      UpstreamExchange exchange = open.getNow();
      if (closed) {
        ReferenceCountUtil.release(request);
        releaseEarly();
        exchange.release(true);
        done.onDone(false);
        return;
      }
      AppRelay relay = new AppRelay(front, http2, exchange, done);
      delegate = relay.frontEvents;
      relay.start(request, grpc);
      replayEarly();
    });
  }

  static void respondError(Channel front, boolean http2, boolean grpc, HttpResponseStatus status, Status.Code code,
      String message) {
    if (front.isActive()) {
      ExchangeBridge.writeSynthesized(front, http2, ErrorResponses.frames(grpc, status, code, message));
    }
  }

  static void respondError(Channel front, boolean http2, boolean grpc, String message) {
    respondError(front, http2, grpc, HttpResponseStatus.BAD_GATEWAY, Status.Code.UNAVAILABLE, message);
  }

  // ---- caller channel events, forwarded to whoever runs the exchange ----

  @Override
  public void onChannelRead(HttpObject msg) {
    if (delegate == null || delegate instanceof Waiter) {
      if (closed) {
        ReferenceCountUtil.release(msg);
      } else {
        early.add(msg);
      }
      return;
    }
    delegate.onChannelRead(msg);
  }

  private void replayEarly() {
    HttpObject msg;
    while ((msg = early.poll()) != null) {
      delegate.onChannelRead(msg);
    }
  }

  private void releaseEarly() {
    HttpObject msg;
    while ((msg = early.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void onChannelWritable() {
    if (delegate != null) {
      delegate.onChannelWritable();
    }
  }

  @Override
  public void onChannelReset(long http2ErrorCode) {
    closed = true;
    if (delegate == null || delegate instanceof Waiter) {
      releaseEarly();
    }
    if (delegate != null) {
      delegate.onChannelReset(http2ErrorCode);
    }
  }
}

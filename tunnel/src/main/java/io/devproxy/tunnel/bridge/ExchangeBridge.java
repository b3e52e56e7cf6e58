package io.devproxy.tunnel.bridge;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Head;
import io.devproxy.proto.tunnel.Protocol;
import io.devproxy.tunnel.http.ErrorResponses;
import io.devproxy.tunnel.http.HttpFrames;
import io.devproxy.tunnel.netty.ChannelEvents;
import io.devproxy.tunnel.netty.RequestWindow;
import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.ClientCallStreamObserver;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Relays ONE HTTP exchange between a Netty channel that carries {@link HttpObject}s (an HTTP/1.1 connection,
 * or an HTTP/2 stream channel with {@code Http2StreamFrameToHttpObjectCodec}) and a tunnel {@code Exchange}
 * gRPC stream that carries {@link ExchangeFrame}s.
 *
 * <p>Used at both ends: in the agent the channel is the caller's (requests go into the stream), in the daemon
 * it is the local service's (responses go into the stream).
 *
 * <p>Flow control is end to end and nothing buffers without bound: the channel is read (AUTO_READ off) only
 * while the gRPC stream {@linkplain CallStreamObserver#isReady() is ready}, and the next gRPC message is
 * {@linkplain CallStreamObserver#request(int) requested} only after the previous one was written to a
 * writable channel.
 *
 * <p>Threading: every method may be called from any thread; all state is confined to the channel's event
 * loop, and the gRPC stream is only used from there, so calls on it are serialized. The owner forwards the
 * channel's events ({@link #onChannelRead}, {@link #onChannelWritable}, {@link #onChannelClosed}) and the
 * stream's ({@link #onFrame}, {@link #onCallError}, {@link #onCallCompleted}, {@link #onCallReady}).
 */
public final class ExchangeBridge implements ChannelEvents {

  private static final Logger logger = Logger.getLogger(ExchangeBridge.class.getName());

  /** Told once when the exchange is over. Runs on the channel's event loop. */
  public interface Listener {
    /**
     * @param clean whether both directions ended normally; when false, the channel's connection must not be
     *     reused for another exchange (the bridge has already closed or reset it where needed)
     */
    void onDone(ExchangeBridge bridge, boolean clean);
  }

  /** Which end of the tunnel this bridge runs on. */
  public enum Side {
    /** In the agent: the channel is the caller's, this end is the gRPC server of the stream. */
    AGENT,
    /** In the daemon: the channel is the local service's, this end is the gRPC client of the stream. */
    DAEMON
  }

  private final Channel channel;
  private final boolean http2;
  private final Side side;
  private final CallStreamObserver<ExchangeFrame> call;
  private final Listener listener;
  private final String sessionId;
  private final Protocol callerProtocol;
  private final RequestWindow window;

  // Confined to channel.eventLoop().
  private boolean started;
  private boolean sentEnd;
  private boolean wroteEnd;
  private boolean wroteHead;
  private boolean headRequest;
  private boolean skipInformationalLast;
  private boolean sentReset;
  private boolean done;
  private volatile boolean grpcCall;

  /**
   * @param channel carries HttpObjects; its AUTO_READ must be off; the caller keeps owning it
   * @param http2 whether {@code channel} is an HTTP/2 stream
   * @param call the Exchange stream, with automatic inbound flow control disabled
   * @param sessionId for request heads (agent side); empty on the daemon side
   * @param callerProtocol the protocol the original caller spoke (agent side)
   */
  public ExchangeBridge(Channel channel, boolean http2, Side side, CallStreamObserver<ExchangeFrame> call,
      String sessionId, Protocol callerProtocol, Listener listener) {
    this.channel = requireNonNull(channel, "channel");
    this.http2 = http2;
    this.side = requireNonNull(side, "side");
    this.call = requireNonNull(call, "call");
    this.sessionId = requireNonNull(sessionId, "sessionId");
    this.callerProtocol = requireNonNull(callerProtocol, "callerProtocol");
    this.listener = requireNonNull(listener, "listener");
    this.window = new RequestWindow(channel, call);
  }

  public Channel channel() {
    return channel;
  }

  /** Starts relaying: asks the stream for its first frame and the channel for its first message. */
  public void start() {
    runOnLoop(() -> {
      if (started || done) {
        return;
      }
      started = true;
      requestFrames();
      readChannelIfReady();
    });
  }

  // ---- channel → stream ----

  /** A message read from the channel. Takes ownership of {@code msg}. */
  @Override
  public void onChannelRead(HttpObject msg) {
    if (!channel.eventLoop().inEventLoop()) {
      channel.eventLoop().execute(() -> onChannelRead(msg));
      return;
    }
    try {
      if (done || sentEnd) {
        return;
      }
      if (msg instanceof HttpResponse response && isInformational(response)) {
        // 1xx from the server (103 Early Hints, a stray 100): not relayed; its empty LastHttpContent follows.
        skipInformationalLast = !(msg instanceof LastHttpContent);
        return;
      }
      if (skipInformationalLast && msg instanceof LastHttpContent last && !last.content().isReadable()) {
        skipInformationalLast = false;
        return;
      }
      if (msg instanceof HttpRequest request) {
        headRequest = HttpMethod.HEAD.equals(request.method());
        boolean end = isEmptyFull(msg);
        send(HttpFrames.head(HttpFrames.requestHead(request, callerProtocol, sessionId, end)));
        if (end) {
          sentEnd();
          return;
        }
      } else if (msg instanceof HttpResponse response) {
        boolean end = isEmptyFull(msg);
        send(HttpFrames.head(HttpFrames.responseHead(response, end)));
        if (end) {
          sentEnd();
          return;
        }
      }
      if (msg instanceof HttpContent content) {
        if (content.content().isReadable()) {
          send(HttpFrames.data(content.content()));
        }
        if (content instanceof LastHttpContent last) {
          send(HttpFrames.last(last));
          sentEnd();
          return;
        }
      }
      readChannelIfReady();
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private static boolean isInformational(HttpResponse response) {
    int code = response.status().code();
    return code >= 100 && code < 200 && code != 101;
  }

  private static boolean isEmptyFull(HttpObject msg) {
    return msg instanceof FullHttpMessage full
        && !full.content().isReadable()
        && full.trailingHeaders().isEmpty();
  }

  private void send(ExchangeFrame frame) {
    call.onNext(frame);
  }

  private void sentEnd() {
    sentEnd = true;
    if (side == Side.DAEMON) {
      call.onCompleted(); // half-close; the agent closes the call when both directions are done
    }
    maybeDone();
  }

  private void readChannelIfReady() {
    if (!done && !sentEnd && call.isReady()) {
      channel.read();
    }
  }

  /** The stream can take more frames. Any thread. */
  public void onCallReady() {
    runOnLoop(this::readChannelIfReady);
  }

  // ---- stream → channel ----

  /** A frame from the stream. Any thread. */
  public void onFrame(ExchangeFrame frame) {
    runOnLoop(() -> writeFrame(frame));
  }

  private void writeFrame(ExchangeFrame frame) {
    window.received();
    if (done || wroteEnd) {
      return;
    }
    switch (frame.getKindCase()) {
      case HEAD -> {
        Head head = frame.getHead();
        HttpObject msg = head.getMethod().isEmpty()
            ? HttpFrames.toResponse(head, http2, headRequest)
            : HttpFrames.toRequest(head, http2);
        wroteHead = true;
        write(msg);
        if (head.getEndOfStream()) {
          wroteEnd();
          return;
        }
      }
      case DATA -> write(new DefaultHttpContent(HttpFrames.content(frame.getData())));
      case TRAILERS -> {
        write(HttpFrames.toLast(frame.getTrailers()));
        wroteEnd();
        return;
      }
      case END -> {
        write(LastHttpContent.EMPTY_LAST_CONTENT);
        wroteEnd();
        return;
      }
      case RESET -> {
        resetChannel(frame.getReset().getHttp2ErrorCode());
        finish(false);
        return;
      }
      default -> {
        logger.fine(() -> "ignoring unexpected frame " + frame.getKindCase());
      }
    }
    requestFrames();
  }

  private void write(HttpObject msg) {
    channel.writeAndFlush(msg).addListener((ChannelFutureListener) future -> {
      if (!future.isSuccess()) {
        logger.log(Level.FINE, "write to " + future.channel() + " failed", future.cause());
        onChannelClosed();
      }
    });
  }

  /** Keeps frames requested ahead of the channel ({@link RequestWindow}). */
  private void requestFrames() {
    if (!done) {
      window.fill();
    }
  }

  private void wroteEnd() {
    wroteEnd = true;
    maybeDone();
  }

  /** The channel became writable again. Any thread. */
  @Override
  public void onChannelWritable() {
    runOnLoop(() -> {
      if (!done) {
        window.onWritable();
      }
    });
  }

  private void maybeDone() {
    if (done) {
      return;
    }
    if (sentEnd && wroteEnd) {
      finish(true);
    } else if (side == Side.AGENT && wroteEnd) {
      // The response is complete while the request is still arriving: the server does not want the rest.
      finish(false);
    }
  }

  private void finish(boolean clean) {
    if (done) {
      return;
    }
    done = true;
    if (side == Side.AGENT) {
      if (clean || wroteEnd) {
        call.onCompleted();
      } else {
        call.onError(Status.CANCELLED.withDescription("devproxy: exchange reset").asRuntimeException());
      }
    } else if (!clean && !sentEnd) {
      if (sentReset) {
        call.onCompleted(); // after the Reset frame, so the agent resets its caller with the same code
      } else if (call instanceof ClientCallStreamObserver<ExchangeFrame> client) {
        client.cancel("devproxy: local exchange aborted", null);
      }
    }
    listener.onDone(this, clean);
  }

  // ---- failures ----

  /**
   * The channel closed, or the caller reset its stream ({@code http2ErrorCode}, CANCEL when unknown).
   * Any thread.
   */
  @Override
  public void onChannelReset(long http2ErrorCode) {
    runOnLoop(() -> {
      if (done) {
        return;
      }
      if (!sentEnd) {
        send(HttpFrames.reset(http2ErrorCode, "devproxy: peer reset the exchange"));
        sentReset = true;
      }
      finish(false);
    });
  }

  /** The channel closed. Any thread. */
  public void onChannelClosed() {
    onChannelReset(Http2Error.CANCEL.code());
  }

  /** The stream failed (the peer cancelled, or the tunnel broke). Any thread. */
  public void onCallError(Throwable t) {
    runOnLoop(() -> {
      if (done) {
        return;
      }
      Status status = Status.fromThrowable(t);
      logger.log(Level.FINE, "exchange stream failed: " + status);
      if (side == Side.AGENT && !wroteHead) {
        // Nothing reached the caller yet: answer in its terms instead of a bare reset.
        for (ExchangeFrame frame : ErrorResponses.frames(grpcCall, HttpResponseStatus.BAD_GATEWAY,
            Status.Code.UNAVAILABLE, "devproxy: the tunnel to the developer's machine broke (" + status.getCode() + ")")) {
          writeFrame(frame);
        }
      }
      if (!done) {
        resetChannel(Http2Error.CANCEL.code());
        done = true;
        listener.onDone(this, false);
      }
    });
  }

  /** The stream completed. On the daemon side, a completion before our request was fully written aborts. */
  public void onCallCompleted() {
    runOnLoop(() -> {
      if (done) {
        return;
      }
      if (!wroteEnd) {
        resetChannel(Http2Error.CANCEL.code());
      }
      done = true;
      listener.onDone(this, wroteEnd && sentEnd);
    });
  }

  /** Marks the exchange as gRPC, so failures are answered with a gRPC status. Before {@link #start()}. */
  public void grpc(boolean grpc) {
    this.grpcCall = grpc;
  }

  private void resetChannel(long http2ErrorCode) {
    if (!channel.isActive()) {
      return;
    }
    if (http2) {
      channel.writeAndFlush(new DefaultHttp2ResetFrame(http2ErrorCode)).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  private void runOnLoop(Runnable task) {
    if (channel.eventLoop().inEventLoop()) {
      task.run();
    } else {
      channel.eventLoop().execute(task);
    }
  }

  /** Writes frames synthesized by devproxy (an error response) to the channel. Event loop only. */
  public static void writeSynthesized(Channel channel, boolean http2, List<ExchangeFrame> frames) {
    for (ExchangeFrame frame : frames) {
      switch (frame.getKindCase()) {
        case HEAD -> channel.write(HttpFrames.toResponse(frame.getHead(), http2, false));
        case DATA -> channel.write(new DefaultHttpContent(HttpFrames.content(frame.getData())));
        case END -> channel.write(LastHttpContent.EMPTY_LAST_CONTENT);
        default -> throw new IllegalArgumentException("not a synthesized response frame: " + frame.getKindCase());
      }
    }
    channel.flush();
  }
}

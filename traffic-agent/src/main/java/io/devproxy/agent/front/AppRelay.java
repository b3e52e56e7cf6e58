package io.devproxy.agent.front;

import io.devproxy.tunnel.http.HttpFrames;
import io.devproxy.tunnel.netty.ChannelEvents;
import io.devproxy.tunnel.upstream.UpstreamExchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;

/**
 * Relays one exchange between the caller's channel and the app's (both carry HttpObjects, both AUTO_READ
 * off, both on the same event loop): read one side only after the write to the other side found it
 * writable (Netty's HexDumpProxy pattern), per direction.
 */
final class AppRelay {

  private final Channel front;
  private final boolean frontHttp2;
  private final UpstreamExchange app;
  private final FrontExchange.Done done;

  private boolean requestEnded;
  private boolean responseEnded;
  private boolean responseStarted;
  private boolean frontReadPending;
  private boolean appReadPending;
  private boolean headRequest;
  private boolean finished;
  private boolean grpc;
  /** A 1xx response was dropped; its empty LastHttpContent comes next and is dropped too. */
  private boolean skipInformationalLast;

  AppRelay(Channel front, boolean frontHttp2, UpstreamExchange app, FrontExchange.Done done) {
    this.front = front;
    this.frontHttp2 = frontHttp2;
    this.app = app;
    this.done = done;
  }

  /** Front-side events while this relay owns the exchange. */
  final ChannelEvents frontEvents = new ChannelEvents() {
    @Override
    public void onChannelRead(HttpObject msg) {
      fromFront(msg);
    }

    @Override
    public void onChannelWritable() {
      if (appReadPending && !responseEnded) {
        appReadPending = false;
        app.channel().read();
      }
    }

    @Override
    public void onChannelReset(long http2ErrorCode) {
      abort(http2ErrorCode, true);
    }
  };

  private final ChannelEvents appEvents = new ChannelEvents() {
    @Override
    public void onChannelRead(HttpObject msg) {
      fromApp(msg);
    }

    @Override
    public void onChannelWritable() {
      if (frontReadPending && !requestEnded) {
        frontReadPending = false;
        front.read();
      }
    }

    @Override
    public void onChannelReset(long http2ErrorCode) {
      if (!responseStarted && !finished) {
        FrontExchange.respondError(front, frontHttp2, grpc, "devproxy: the app at " + appName() + " closed the connection before answering");
        responseStarted = true;
        responseEnded = true;
        finish(false);
        return;
      }
      abort(http2ErrorCode, false);
    }
  };

  private String appName() {
    return app.channel().remoteAddress() == null ? "?" : app.channel().remoteAddress().toString();
  }

  /** Starts with the request head the router read. Takes ownership of {@code request}. */
  void start(HttpRequest request, boolean grpc) {
    this.grpc = grpc;
    headRequest = HttpMethod.HEAD.equals(request.method());
    app.owner(appEvents);
    HttpRequest sanitized;
    boolean end;
    try {
      end = request instanceof LastHttpContent last && !last.content().isReadable() && last.trailingHeaders().isEmpty();
      sanitized = HttpFrames.forwardRequest(request, end, app.http2());
      if (request instanceof HttpContent content && !end) {
        writeToApp(sanitized);
        fromFront(HttpFrames.bodyOf(content));
        app.channel().read();
        return;
      }
    } finally {
      ReferenceCountUtil.release(request);
    }
    writeToApp(sanitized);
    if (end) {
      requestEnded = true;
    } else {
      readFrontIfAppWritable();
    }
    app.channel().read();
  }

  private void fromFront(HttpObject msg) {
    if (finished || requestEnded) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!(msg instanceof HttpContent)) {
      ReferenceCountUtil.release(msg); // a new request head cannot arrive before this one ended
      return;
    }
    boolean last = msg instanceof LastHttpContent;
    writeToApp(msg);
    if (last) {
      requestEnded = true;
      maybeFinish();
    } else {
      readFrontIfAppWritable();
    }
  }

  private void readFrontIfAppWritable() {
    if (app.channel().isWritable()) {
      front.read();
    } else {
      frontReadPending = true;
    }
  }

  private void writeToApp(HttpObject msg) {
    app.channel().writeAndFlush(msg).addListener(failureAborts(false));
  }

  private void fromApp(HttpObject msg) {
    if (finished || responseEnded) {
      ReferenceCountUtil.release(msg);
      return;
    }
    HttpObject out = msg;
    if (msg instanceof HttpResponse response) {
      int code = response.status().code();
      if (code >= 100 && code < 200 && code != 101) {
        ReferenceCountUtil.release(msg); // 1xx: not relayed; its empty LastHttpContent is skipped below
        skipInformationalLast = !(msg instanceof LastHttpContent);
        app.channel().read();
        return;
      }
      boolean end = msg instanceof LastHttpContent last && !last.content().isReadable() && last.trailingHeaders().isEmpty();
      out = HttpFrames.forwardResponse(response, end, frontHttp2, headRequest);
      if (msg instanceof HttpContent content && !end) {
        responseStarted = true;
        front.write(out);
        out = HttpFrames.bodyOf(content);
      }
      ReferenceCountUtil.release(msg);
      responseStarted = true;
      if (end) {
        front.writeAndFlush(out).addListener(failureAborts(true));
        responseEnded = true;
        maybeFinish();
        return;
      }
    } else if (skipInformationalLast && msg instanceof LastHttpContent last && !last.content().isReadable()) {
      skipInformationalLast = false;
      ReferenceCountUtil.release(msg);
      app.channel().read();
      return;
    }
    boolean last = out instanceof LastHttpContent;
    front.writeAndFlush(out).addListener(failureAborts(true));
    if (last) {
      responseEnded = true;
      maybeFinish();
    } else if (front.isWritable()) {
      app.channel().read();
    } else {
      appReadPending = true;
    }
  }

  private ChannelFutureListener failureAborts(boolean frontWrite) {
    return future -> {
      if (!future.isSuccess()) {
        abort(Http2Error.CANCEL.code(), frontWrite);
      }
    };
  }

  private void maybeFinish() {
    if (responseEnded && requestEnded) {
      finish(true);
    } else if (responseEnded) {
      // The app answered before taking the whole request: it does not want the rest.
      finish(false);
    }
  }

  private void finish(boolean clean) {
    if (finished) {
      return;
    }
    finished = true;
    app.release(clean);
    done.onDone(clean);
  }

  /** One side failed: reset the other and end. */
  private void abort(long http2ErrorCode, boolean frontFailed) {
    if (finished) {
      return;
    }
    if (frontFailed) {
      if (app.http2()) {
        app.channel().writeAndFlush(new DefaultHttp2ResetFrame(http2ErrorCode));
      }
      app.release(false);
      finished = true;
      done.onDone(false);
      return;
    }
    app.release(false);
    finished = true;
    if (frontHttp2) {
      front.writeAndFlush(new DefaultHttp2ResetFrame(http2ErrorCode));
    }
    done.onDone(false);
  }
}

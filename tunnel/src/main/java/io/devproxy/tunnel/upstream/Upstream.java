package io.devproxy.tunnel.upstream;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.tunnel.Protocol;
import io.devproxy.tunnel.netty.ChannelEventsHandler;
import io.devproxy.tunnel.netty.Flushes;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Client side of the plain-HTTP hop to one server: the app next to the agent, or the developer's local
 * service next to the daemon. Hands out one {@link UpstreamExchange} per HTTP exchange.
 *
 * <p>Connections live on the caller's event loop (no thread hop per message): per loop, a pool of idle
 * keep-alive HTTP/1.1 connections and one multiplexed h2c connection. In {@link UpstreamProtocol#AUTO} mode
 * whether the server speaks h2c is probed once, on the first HTTP/2 caller, and remembered.
 *
 * <p>Thread-safe. Does not own the event loops; {@link #close()} closes its connections.
 */
public final class Upstream implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(Upstream.class.getName());
  private static final int MAX_IDLE_PER_LOOP = 64;
  private static final int STREAM_WINDOW = 1024 * 1024;
  private static final int CONNECTION_WINDOW_BOOST = 15 * 1024 * 1024;

  private final InetSocketAddress address;
  private final UpstreamProtocol mode;
  private final Duration connectTimeout;
  private final Map<EventLoop, LoopState> loops = new ConcurrentHashMap<>();
  /** AUTO mode: null until probed, then whether the server speaks h2c. */
  private volatile Boolean speaksH2c;
  private volatile boolean closed;

  public Upstream(InetSocketAddress address, UpstreamProtocol mode, Duration connectTimeout) {
    this.address = requireNonNull(address, "address");
    this.mode = requireNonNull(mode, "mode");
    this.connectTimeout = requireNonNull(connectTimeout, "connectTimeout");
  }

  public InetSocketAddress address() {
    return address;
  }

  /** host:port as a user wrote it, for messages. */
  public String displayAddress() {
    return address.getHostString() + ":" + address.getPort();
  }

  public UpstreamProtocol mode() {
    return mode;
  }

  /** AUTO mode: what the probe found (null before it ran). */
  public Boolean speaksH2c() {
    return speaksH2c;
  }

  /**
   * Opens an exchange for a caller that spoke {@code callerProtocol}. The future fails with the connect
   * error (e.g. {@link java.net.ConnectException}) when the server is not there. Completes on {@code loop}.
   */
  public Future<UpstreamExchange> open(EventLoop loop, Protocol callerProtocol) {
    Promise<UpstreamExchange> promise = loop.newPromise();
    if (closed) {
      promise.setFailure(new IllegalStateException("upstream closed"));
      return promise;
    }
    if (loop.inEventLoop()) {
      open(loop, callerProtocol, promise);
    } else {
      loop.execute(() -> open(loop, callerProtocol, promise));
    }
    return promise;
  }

  private void open(EventLoop loop, Protocol callerProtocol, Promise<UpstreamExchange> promise) {
    LoopState state = loops.computeIfAbsent(loop, LoopState::new);
    boolean http2Caller = callerProtocol == Protocol.HTTP_2;
    switch (mode) {
      case HTTP1 -> state.openHttp1(promise);
      case H2C -> state.openH2(promise, null);
      case AUTO -> {
        Boolean h2c = speaksH2c;
        if (!http2Caller || Boolean.FALSE.equals(h2c)) {
          state.openHttp1(promise);
        } else {
          state.openH2(promise, h2c == null ? Boolean.TRUE : null);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (LoopState state : loops.values()) {
      state.loop.execute(state::closeAll);
    }
  }

  /** Per event loop connections; touched only on {@code loop}. */
  private final class LoopState {
    final EventLoop loop;
    final ArrayDeque<Channel> idleHttp1 = new ArrayDeque<>();
    Channel h2Parent;
    Future<Channel> h2Ready;

    LoopState(EventLoop loop) {
      this.loop = loop;
    }

    void openHttp1(Promise<UpstreamExchange> promise) {
      Channel idle;
      while ((idle = idleHttp1.pollFirst()) != null) {
        if (idle.isActive()) {
          promise.setSuccess(new UpstreamExchange(idle, false, this::release));
          return;
        }
      }
      Bootstrap bootstrap = new Bootstrap()
          .group(loop)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.AUTO_READ, false)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(Flushes.consolidated(), new HttpClientCodec(8192, 64 * 1024, 64 * 1024),
                  new ChannelEventsHandler());
            }
          });
      bootstrap.connect(address).addListener((ChannelFuture future) -> {
        if (future.isSuccess()) {
          promise.setSuccess(new UpstreamExchange(future.channel(), false, this::release));
        } else {
          promise.setFailure(future.cause());
        }
      });
    }

    void release(UpstreamExchange exchange, boolean reusable) {
      Channel channel = exchange.channel();
      if (exchange.http2()) {
        if (channel.isOpen()) {
          channel.close();
        }
        return;
      }
      if (reusable && !closed && channel.isActive() && idleHttp1.size() < MAX_IDLE_PER_LOOP) {
        idleHttp1.addFirst(channel);
      } else {
        channel.close();
      }
    }

    /** @param probe TRUE when this open decides whether the server speaks h2c (AUTO mode) */
    void openH2(Promise<UpstreamExchange> promise, Boolean probe) {
      if (h2Ready == null || (h2Ready.isDone() && (!h2Ready.isSuccess() || !h2Ready.getNow().isActive()))) {
        h2Ready = connectH2();
      }
      h2Ready.addListener(ready -> {
        if (ready.isSuccess()) {
          if (probe != null) {
            speaksH2c = true;
          }
          openStream(h2Ready.getNow(), promise);
        } else if (probe != null && !(ready.cause() instanceof java.net.ConnectException)
            && !(ready.cause() instanceof io.netty.channel.ConnectTimeoutException)) {
          logger.info(() -> displayAddress() + " does not speak h2c; HTTP/2 callers are translated to HTTP/1.1");
          speaksH2c = false;
          h2Ready = null;
          openHttp1(promise);
        } else {
          h2Ready = null;
          promise.setFailure(ready.cause());
        }
      });
    }

    private Future<Channel> connectH2() {
      Promise<Channel> ready = loop.newPromise();
      Bootstrap bootstrap = new Bootstrap()
          .group(loop)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(
                  Flushes.consolidated(),
                  Http2FrameCodecBuilder.forClient()
                      .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).initialWindowSize(STREAM_WINDOW))
                      .build(),
                  new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                  new H2ConnectionWatcher(ready));
            }
          });
      ChannelFuture connect = bootstrap.connect(address);
      connect.addListener((ChannelFuture future) -> {
        if (!future.isSuccess()) {
          ready.tryFailure(future.cause());
          return;
        }
        h2Parent = future.channel();
        future.channel().writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW_BOOST));
        // A server that answers the preface with HTTP/1.1 closes or errors quickly; one that says nothing
        // at all must not hang the first caller.
        loop.schedule(() -> {
          if (ready.tryFailure(new UpstreamProtocolException(displayAddress() + " sent no HTTP/2 SETTINGS"))) {
            future.channel().close();
          }
        }, connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
      });
      return ready;
    }

    private void openStream(Channel parent, Promise<UpstreamExchange> promise) {
      new Http2StreamChannelBootstrap(parent)
          .option(ChannelOption.AUTO_READ, false)
          .handler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
              ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new ChannelEventsHandler());
            }
          })
          .open()
          .addListener((Future<Http2StreamChannel> future) -> {
            if (future.isSuccess()) {
              promise.setSuccess(new UpstreamExchange(future.getNow(), true, this::release));
            } else {
              if (h2Parent == parent) {
                h2Ready = null; // no more stream ids, or the connection is going away: next caller reconnects
              }
              promise.setFailure(future.cause());
            }
          });
    }

    void closeAll() {
      for (Channel channel : idleHttp1) {
        channel.close();
      }
      idleHttp1.clear();
      if (h2Parent != null) {
        h2Parent.close();
      }
    }
  }

  /** Completes {@code ready} on the server's first SETTINGS; fails it when the connection dies first. */
  private final class H2ConnectionWatcher extends ChannelInboundHandlerAdapter {
    private final Promise<Channel> ready;

    H2ConnectionWatcher(Promise<Channel> ready) {
      this.ready = ready;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2SettingsFrame) {
          ready.trySuccess(ctx.channel());
        } else if (msg instanceof Http2GoAwayFrame) {
          LoopState state = loops.get(ctx.channel().eventLoop());
          if (state != null && state.h2Parent == ctx.channel()) {
            state.h2Ready = null; // new streams go to a new connection; open ones finish here
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      ready.tryFailure(new UpstreamProtocolException(displayAddress() + " closed the connection before HTTP/2 SETTINGS"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ready.tryFailure(new UpstreamProtocolException(displayAddress() + " is not an h2c server: " + cause.getMessage()));
      ctx.close();
    }
  }
}

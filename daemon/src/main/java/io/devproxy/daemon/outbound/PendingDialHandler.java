package io.devproxy.daemon.outbound;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.netty.NetworkErrors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Holds a local connection while its dial is in flight, then hands the connection over to the
 * {@link DialedConnection} or answers the failure in the client's protocol. It dials when added to the pipeline
 * and then removes the {@link HandshakeTimeoutHandler}: the dialer's own timeout bounds the dial.
 *
 * <p>While the dial runs it keeps a read outstanding, so that it sees a client that leaves (the connection
 * then {@linkplain DialedConnection#abort() aborts} when it arrives) and keeps what the client sends early, such
 * as a TLS ClientHello right behind a CONNECT, up to {@link #MAX_EARLY_BYTES}; beyond that it stops reading.
 *
 * <p>On success it writes the protocol's success reply, removes every handler from the pipeline (itself
 * included) so that {@link DialedConnection#attach} gets a bare channel, attaches, and then fires the bytes due
 * to the remote end through the pipeline as if just read, where the relay handler that attach installed
 * forwards them: first {@code toRemote} (a rewritten request head), then what the client sent early. This
 * relies on attach installing its relay handler before it returns, as it does when called on the channel's
 * event loop.
 *
 * <p>Runs on its channel's event loop; the dial completes on any thread and is handed to that loop.
 */
final class PendingDialHandler extends ChannelInboundHandlerAdapter {

  /** How much a client may send before its dial completes; the rest waits in the socket. */
  static final int MAX_EARLY_BYTES = 64 * 1024;

  private static final Logger logger = Logger.getLogger(PendingDialHandler.class.getName());

  private final Dialer dialer;
  private final String host;
  private final int port;
  private final String label;
  private final Supplier<Object> successReply;
  private final Function<DialException, Object> failureReply;
  private final byte[] toRemote;
  private final List<ByteBuf> early = new ArrayList<>();
  private int earlyBytes;
  private boolean failed;
  private ChannelHandlerContext ctx;

  /**
   * @param label what the client asked for, for logs: {@code outbound SOCKS5}, {@code --forward orders:8080}
   * @param successReply the reply written before attach, null for none
   * @param failureReply the reply to a failed dial, written before the connection closes; null (or a null
   *     result) to just close
   * @param toRemote bytes the remote end gets before anything the client sent, null for none
   */
  PendingDialHandler(Dialer dialer, String host, int port, String label, Supplier<Object> successReply,
      Function<DialException, Object> failureReply, byte[] toRemote) {
    this.dialer = requireNonNull(dialer, "dialer");
    this.host = requireNonNull(host, "host");
    this.port = port;
    this.label = requireNonNull(label, "label");
    this.successReply = successReply;
    this.failureReply = failureReply;
    this.toRemote = toRemote;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    HandshakeTimeoutHandler timeout = ctx.pipeline().get(HandshakeTimeoutHandler.class);
    if (timeout != null) {
      ctx.pipeline().remove(timeout);
    }
    CompletableFuture<DialedConnection> dial;
    try {
      dial = requireNonNull(dialer.dial(host, port), "Dialer.dial returned null");
    } catch (RuntimeException e) {
      dial = CompletableFuture.failedFuture(e);
    }
    EventLoop loop = ctx.channel().eventLoop();
    // Always through the loop's queue, even when already complete: no re-entrance into the pipeline change
    // that added this handler.
    dial.whenComplete((connection, failure) -> {
      try {
        loop.execute(() -> dialed(connection, failure));
      } catch (RejectedExecutionException e) {
        if (connection != null) {
          connection.abort();
        }
      }
    });
    if (ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failed || !(msg instanceof ByteBuf bytes)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!bytes.isReadable()) {
      bytes.release();
      return;
    }
    early.add(bytes);
    earlyBytes += bytes.readableBytes();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if ((failed || earlyBytes < MAX_EARLY_BYTES) && ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseEarly();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseEarly();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.log(NetworkErrors.isExpected(cause) ? Level.FINE : Level.INFO,
        describe() + ": the client connection failed", cause);
    ctx.close();
  }

  private void dialed(DialedConnection connection, Throwable failure) {
    Channel channel = ctx.channel();
    if (!channel.isActive()) {
      releaseEarly();
      if (connection != null) {
        logger.fine(() -> describe() + ": the client left before the dial completed");
        connection.abort();
      }
      return;
    }
    if (failure != null) {
      fail(asDialException(failure));
      return;
    }
    List<ByteBuf> forRemote = new ArrayList<>(early.size() + 1);
    if (toRemote != null) {
      forRemote.add(Unpooled.wrappedBuffer(toRemote));
    }
    forRemote.addAll(early);
    early.clear();
    earlyBytes = 0;
    if (successReply != null) {
      ctx.write(successReply.get());
    }
    ctx.flush();
    ChannelPipeline pipeline = channel.pipeline();
    for (ChannelHandler handler : pipeline.toMap().values()) {
      pipeline.remove(handler);
    }
    try {
      connection.attach(channel);
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, describe() + ": cannot attach the connection", e);
      forRemote.forEach(ByteBuf::release);
      channel.close();
      return;
    }
    logger.fine(() -> describe() + ": connected to " + connection.remoteAddress());
    for (ByteBuf bytes : forRemote) {
      pipeline.fireChannelRead(bytes);
    }
    if (!forRemote.isEmpty()) {
      pipeline.fireChannelReadComplete();
    }
  }

  private void fail(DialException e) {
    logger.info(() -> describe() + " failed: " + e.getMessage());
    failed = true;
    releaseEarly();
    Object reply = failureReply == null ? null : failureReply.apply(e);
    if (reply == null) {
      ctx.close();
    } else {
      LingeringClose.closeAfter(ctx, reply);
    }
  }

  /** E.g. {@code outbound SOCKS5 to orders.shop:8080 from 127.0.0.1:51234}. */
  private String describe() {
    return label + " to " + Addresses.target(host, port) + " from " + Addresses.client(ctx.channel());
  }

  private DialException asDialException(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof DialException e) {
      return e;
    }
    logger.log(Level.FINE, "dial " + Addresses.target(host, port) + " failed", cause);
    return new DialException(DialException.Kind.OTHER, "cannot dial " + Addresses.target(host, port) + ": " + cause);
  }

  private void releaseEarly() {
    early.forEach(ByteBuf::release);
    early.clear();
    earlyBytes = 0;
  }
}

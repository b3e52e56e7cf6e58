package io.devproxy.daemon.outbound;

import io.devproxy.tunnel.netty.NetworkErrors;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The SOCKS5 handshake (RFC 1928) of the outbound proxy: no authentication, CONNECT only, any address type;
 * the destination goes to the {@link Dialer} as given, a domain unresolved. Behind a
 * {@link Socks5InitialRequestDecoder}, which it replaces with a {@link Socks5CommandRequestDecoder} after the
 * greeting; on the CONNECT request it hands over to a {@link PendingDialHandler} and removes itself. Bytes the
 * client sends behind the request (the decoder passes them on as buffers) go to that handler.
 *
 * <p>Not thread-safe: runs on its channel's event loop.
 */
final class Socks5ProxyHandler extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(Socks5ProxyHandler.class.getName());

  private final Dialer dialer;
  private boolean dialing;

  Socks5ProxyHandler(Dialer dialer) {
    this.dialer = dialer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (dialing) {
      ctx.fireChannelRead(msg);
    } else if (msg instanceof Socks5InitialRequest greeting) {
      greeted(ctx, greeting);
    } else if (msg instanceof Socks5CommandRequest request) {
      requested(ctx, request);
    } else {
      // Bytes before a complete greeting never get here: the decoders keep them.
      ReferenceCountUtil.release(msg);
    }
  }

  private void greeted(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
    if (greeting.decoderResult().isFailure()) {
      logger.fine(() -> "outbound SOCKS5 from " + Addresses.client(ctx.channel()) + ": malformed greeting: "
          + greeting.decoderResult().cause());
      ctx.close();
      return;
    }
    if (!greeting.authMethods().contains(Socks5AuthMethod.NO_AUTH)) {
      logger.info(() -> "outbound SOCKS5 from " + Addresses.client(ctx.channel()) + ": the client offers only "
          + greeting.authMethods() + "; devproxy's proxy takes no credentials: leave user and password out of"
          + " the proxy URL");
      ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    // Replacing (not adding) keeps bytes the client sent behind the greeting: the replaced decoder hands what
    // it holds to its replacement.
    ctx.pipeline().replace(Socks5InitialRequestDecoder.class, null, new Socks5CommandRequestDecoder());
    ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.NO_AUTH));
    ctx.read();
  }

  private void requested(ChannelHandlerContext ctx, Socks5CommandRequest request) {
    if (request.decoderResult().isFailure()) {
      logger.fine(() -> "outbound SOCKS5 from " + Addresses.client(ctx.channel()) + ": malformed request: "
          + request.decoderResult().cause());
      ctx.close();
      return;
    }
    if (!request.type().equals(Socks5CommandType.CONNECT)) {
      logger.info(() -> "outbound SOCKS5 from " + Addresses.client(ctx.channel()) + ": " + request.type()
          + " is not supported, only CONNECT");
      ctx.writeAndFlush(response(Socks5CommandStatus.COMMAND_UNSUPPORTED)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    dialing = true;
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addAfter(ctx.name(), null, new PendingDialHandler(dialer, request.dstAddr(), request.dstPort(),
        "outbound SOCKS5", () -> response(Socks5CommandStatus.SUCCESS), e -> response(status(e.kind())), null));
    // What the decoder still holds reaches this handler, and through it the pending dial.
    pipeline.remove(Socks5CommandRequestDecoder.class);
    pipeline.remove(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.log(NetworkErrors.isExpected(cause) ? Level.FINE : Level.INFO,
        "outbound SOCKS5 from " + Addresses.client(ctx.channel()) + ": handshake failed", cause);
    ctx.close();
  }

  /** The reply to a failed dial; SOCKS carries no text, so the log line has the reason. */
  static Socks5CommandStatus status(DialException.Kind kind) {
    return switch (kind) {
      case UNRESOLVED -> Socks5CommandStatus.HOST_UNREACHABLE;
      case REFUSED -> Socks5CommandStatus.CONNECTION_REFUSED;
      case TIMEOUT -> Socks5CommandStatus.TTL_EXPIRED;
      case NO_AGENT -> Socks5CommandStatus.NETWORK_UNREACHABLE;
      case INVALID, OTHER -> Socks5CommandStatus.FAILURE;
    };
  }

  private static Socks5CommandResponse response(Socks5CommandStatus status) {
    // The bound address means nothing here: the connection is made in the cluster.
    return new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4, "0.0.0.0", 0);
  }
}

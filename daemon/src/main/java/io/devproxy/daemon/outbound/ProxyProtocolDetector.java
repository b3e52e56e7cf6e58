package io.devproxy.daemon.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Logger;

/**
 * Tells the outbound proxy's protocols apart by the first byte a client sends: 5 is a SOCKS5 greeting, 4 a
 * SOCKS4 request (not supported: closed), anything else HTTP/1.1. Installs that protocol's handlers behind
 * itself and removes itself; the bytes it has seen go on to them.
 *
 * <p>Starts reading when the connection becomes active (accepted connections do not read by themselves).
 * Not thread-safe: runs on its channel's event loop.
 */
final class ProxyProtocolDetector extends ByteToMessageDecoder {

  private static final Logger logger = Logger.getLogger(ProxyProtocolDetector.class.getName());

  private final Dialer dialer;
  /** Why this client is refused ({@link OwnUserOnly}), answered in its protocol; null to serve it. */
  private final String refusal;
  private boolean refused;

  ProxyProtocolDetector(Dialer dialer, String refusal) {
    this.dialer = dialer;
    this.refusal = refusal;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    ctx.read();
    super.channelActive(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return;
    }
    ChannelPipeline pipeline = ctx.pipeline();
    byte first = in.getByte(in.readerIndex());
    if (refusal != null) {
      in.skipBytes(in.readableBytes());
      if (!refused) {
        refused = true;
        refuse(ctx, first);
      }
      return;
    }
    if (first == 5) {
      pipeline.addAfter(ctx.name(), null, new Socks5ProxyHandler(dialer));
      pipeline.addAfter(ctx.name(), null, new Socks5InitialRequestDecoder());
      pipeline.addAfter(ctx.name(), null, Socks5ServerEncoder.DEFAULT);
    } else if (first == 4) {
      logger.info(() -> "outbound proxy: " + Addresses.client(ctx.channel()) + " speaks SOCKS4, which devproxy"
          + " does not; use SOCKS5 with names resolved by the proxy, e.g. socks5h://" + Addresses.local(ctx.channel()));
      in.skipBytes(in.readableBytes());
      ctx.close();
      return;
    } else {
      pipeline.addAfter(ctx.name(), null, new HttpProxyHandler(dialer));
    }
    // ByteToMessageDecoder hands the bytes it holds to the handlers behind it once this decode returns.
    pipeline.remove(this);
  }

  /**
   * SOCKS5: "no acceptable authentication method" (RFC 1928 section 3), the refusal a SOCKS5 client reports
   * before it sends a request; HTTP: 403 with the reason. Then closes.
   */
  private void refuse(ChannelHandlerContext ctx, byte first) {
    ByteBuf answer;
    if (first == 5) {
      answer = Unpooled.wrappedBuffer(new byte[] {5, (byte) 0xFF});
    } else {
      byte[] body = (refusal + "\n").getBytes(StandardCharsets.UTF_8);
      answer = Unpooled.wrappedBuffer(("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
          + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
          body);
    }
    LingeringClose.closeAfter(ctx, answer);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (refused) {
      ctx.read(); // drain what the refused client still sends, so it gets to read the answer
      return;
    }
    super.channelReadComplete(ctx);
  }
}

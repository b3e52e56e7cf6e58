package io.devproxy.daemon.outbound;

import io.devproxy.tunnel.netty.NetworkErrors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP side of the outbound proxy: reads a request head from the raw bytes (up to the empty line, at most
 * {@link #MAX_HEAD_BYTES}, else 431), then hands over to a {@link PendingDialHandler} and removes itself.
 *
 * <ul>
 *   <li>{@code CONNECT host:port}: on success the client gets {@code 200 Connection established} and everything
 *       after the head (a pipelined TLS ClientHello included) goes to the remote end.
 *   <li>Absolute-form ({@code GET http://orders:8080/x HTTP/1.1}): the remote end gets the head rewritten to
 *       origin-form ({@link HttpProxyRequest#originFormHead()}), then the client's bytes untouched: the body
 *       keeps its own framing (Content-Length or chunked) and the response flows back raw, one request per
 *       connection.
 *   <li>Anything else: 400 saying what to do.
 * </ul>
 *
 * <p>A failed dial is answered with a plain-text error whose body is the reason, and the connection closes.
 * Not thread-safe: runs on its channel's event loop.
 */
final class HttpProxyHandler extends ChannelInboundHandlerAdapter {

  /** The largest request head read; a larger one is answered with 431. */
  static final int MAX_HEAD_BYTES = 64 * 1024;

  private static final Logger logger = Logger.getLogger(HttpProxyHandler.class.getName());
  private static final byte[] CONNECTED =
      "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Dialer dialer;
  private ByteBuf buffered;
  private boolean dialing;
  private boolean failed;
  // Head-end scan state across reads: bytes already scanned, length of the current line, whether a non-empty
  // line was seen (empty lines before the request line do not end the head).
  private int scanned;
  private int lineLength;
  private boolean sawText;

  HttpProxyHandler(Dialer dialer) {
    this.dialer = dialer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (dialing) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (failed || !(msg instanceof ByteBuf bytes)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    buffered = buffered == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffered, bytes);
    int end = headEnd();
    if (end < 0 ? buffered.readableBytes() > MAX_HEAD_BYTES : end - buffered.readerIndex() > MAX_HEAD_BYTES) {
      reject(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
          "devproxy: the request head is larger than " + MAX_HEAD_BYTES / 1024 + " KiB");
      return;
    }
    if (end < 0) {
      return;
    }
    String head = buffered.toString(buffered.readerIndex(), end - buffered.readerIndex(),
        StandardCharsets.ISO_8859_1);
    buffered.readerIndex(end);
    HttpProxyRequest request;
    try {
      request = HttpProxyRequest.parse(head, Addresses.local(ctx.channel()));
    } catch (IllegalArgumentException e) {
      logger.fine(() -> "outbound HTTP from " + Addresses.client(ctx.channel()) + ": " + e.getMessage());
      reject(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
      return;
    }
    dialing = true;
    ByteBuf rest = buffered;
    buffered = null;
    boolean connect = request.isConnect();
    ctx.pipeline().addAfter(ctx.name(), null, new PendingDialHandler(dialer, request.host(), request.port(),
        "outbound HTTP " + request.method(),
        connect ? () -> ctx.alloc().buffer(CONNECTED.length).writeBytes(CONNECTED) : null,
        e -> errorResponse(ctx.alloc(), status(e.kind()), e.getMessage()),
        connect ? null : request.originFormHead()));
    ctx.pipeline().remove(this);
    if (rest.isReadable()) {
      ctx.fireChannelRead(rest);
    } else {
      rest.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // After a rejection too: the rest of the request is read and discarded while the reply lingers.
    if (!dialing && ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (buffered != null) {
      buffered.release();
      buffered = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.log(NetworkErrors.isExpected(cause) ? Level.FINE : Level.INFO,
        "outbound HTTP from " + Addresses.client(ctx.channel()) + ": reading the request failed", cause);
    ctx.close();
  }

  /** The response status for a failed dial. */
  static HttpResponseStatus status(DialException.Kind kind) {
    return switch (kind) {
      case UNRESOLVED, REFUSED, OTHER -> HttpResponseStatus.BAD_GATEWAY;
      case INVALID -> HttpResponseStatus.BAD_REQUEST;
      case TIMEOUT -> HttpResponseStatus.GATEWAY_TIMEOUT;
      case NO_AGENT -> HttpResponseStatus.SERVICE_UNAVAILABLE;
    };
  }

  /** A complete plain-text response whose body is {@code message} on one line, after which the proxy closes. */
  static ByteBuf errorResponse(ByteBufAllocator alloc, HttpResponseStatus status, String message) {
    String line = message.replaceAll("[\\r\\n]+", " ").strip();
    if (!line.startsWith("devproxy: ") && !line.startsWith("this is devproxy")) {
      line = "devproxy: " + line;
    }
    byte[] body = (line + "\n").getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + "Connection: close\r\n"
        + "\r\n";
    ByteBuf response = alloc.buffer(head.length() + body.length);
    response.writeCharSequence(head, StandardCharsets.US_ASCII);
    return response.writeBytes(body);
  }

  private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
    failed = true;
    buffered.release();
    buffered = null;
    LingeringClose.closeAfter(ctx, errorResponse(ctx.alloc(), status, message));
  }

  /** The reader index just past the empty line that ends the head, or -1 when it has not arrived yet. */
  private int headEnd() {
    int from = buffered.readerIndex() + scanned;
    for (int i = from; i < buffered.writerIndex(); i++) {
      byte b = buffered.getByte(i);
      scanned++;
      if (b == '\n') {
        if (lineLength == 0 && sawText) {
          return i + 1;
        }
        lineLength = 0;
      } else if (b != '\r') {
        lineLength++;
        sawText = true;
      }
    }
    return -1;
  }
}

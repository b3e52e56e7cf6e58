package io.devproxy.tunnel.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.devproxy.proto.tunnel.End;
import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Head;
import io.devproxy.proto.tunnel.Header;
import io.devproxy.proto.tunnel.Protocol;
import io.devproxy.proto.tunnel.Reset;
import io.devproxy.proto.tunnel.Trailers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Converts between Netty's protocol-neutral {@link io.netty.handler.codec.http.HttpObject}s (what both an
 * HTTP/1.1 connection and an HTTP/2 stream with {@code Http2StreamFrameToHttpObjectCodec} carry) and the
 * tunnel's {@link ExchangeFrame}s.
 *
 * <p>Heads on the wire carry end-to-end headers only: hop-by-hop headers (RFC 9110 section 7.6.1), the names
 * listed in {@code Connection}, {@code Transfer-Encoding} and Netty's {@code x-http2-*} extension headers are
 * dropped, {@code Host} becomes the authority. Framing is chosen again for the protocol of the channel the
 * message is written to.
 */
public final class HttpFrames {

  private static final Set<AsciiString> HOP_BY_HOP = Set.of(
      HttpHeaderNames.CONNECTION,
      HttpHeaderNames.KEEP_ALIVE,
      AsciiString.cached("proxy-connection"),
      HttpHeaderNames.PROXY_AUTHENTICATE,
      HttpHeaderNames.PROXY_AUTHORIZATION,
      HttpHeaderNames.TRANSFER_ENCODING,
      HttpHeaderNames.UPGRADE,
      HttpHeaderNames.HOST,
      AsciiString.cached("http2-settings"));

  private static final AsciiString EXTENSION_PREFIX = AsciiString.cached("x-http2-");

  private HttpFrames() {}

  /** Whether a request or response head says the exchange is gRPC. */
  public static boolean isGrpc(HttpHeaders headers) {
    String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
  }

  /** The head of a request read from a caller. */
  public static Head requestHead(HttpRequest request, Protocol protocol, String sessionId, boolean endOfStream) {
    HttpHeaders headers = request.headers();
    String scheme = headers.get(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
    String authority = headers.get(HttpHeaderNames.HOST);
    Head.Builder head = Head.newBuilder()
        .setSessionId(sessionId)
        .setProtocol(protocol)
        .setMethod(request.method().name())
        .setScheme(scheme != null ? scheme : "http")
        .setAuthority(authority != null ? authority : "")
        .setPath(request.uri())
        .setEndOfStream(endOfStream);
    copyEndToEnd(headers, head);
    return head.build();
  }

  /** The head of a response read from a server. */
  public static Head responseHead(HttpResponse response, boolean endOfStream) {
    Head.Builder head = Head.newBuilder()
        .setStatus(response.status().code())
        .setEndOfStream(endOfStream);
    copyEndToEnd(response.headers(), head);
    return head.build();
  }

  private static void copyEndToEnd(HttpHeaders headers, Head.Builder head) {
    forEachEndToEnd(headers, (name, value) -> head.addHeaders(header(name.toString(), value.toString())));
  }

  /**
   * The end-to-end headers of {@code headers}, names in lower case; {@code te: trailers} is kept. Works on the
   * headers' own CharSequences: no String per name and value (a request passed through costs no copies).
   */
  private static void forEachEndToEnd(HttpHeaders headers, BiConsumer<CharSequence, CharSequence> sink) {
    Set<AsciiString> connectionTokens = connectionTokens(headers);
    Iterator<Map.Entry<CharSequence, CharSequence>> entries = headers.iteratorCharSequence();
    while (entries.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = entries.next();
      AsciiString name = AsciiString.of(header.getKey()).toLowerCase();
      if (isHopByHop(name, connectionTokens)) {
        if (name.contentEquals(HttpHeaderNames.TE)
            && AsciiString.of(header.getValue()).trim().contentEqualsIgnoreCase(HttpHeaderValues.TRAILERS)) {
          sink.accept(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        continue;
      }
      sink.accept(name, header.getValue());
    }
  }

  private static boolean isHopByHop(AsciiString lowerName, Set<AsciiString> connectionTokens) {
    return HOP_BY_HOP.contains(lowerName)
        || lowerName.contentEquals(HttpHeaderNames.TE)
        || lowerName.startsWith(EXTENSION_PREFIX)
        || connectionTokens.contains(lowerName);
  }

  private static Set<AsciiString> connectionTokens(HttpHeaders headers) {
    if (!headers.contains(HttpHeaderNames.CONNECTION)) {
      return Set.of();
    }
    Set<AsciiString> tokens = new HashSet<>();
    for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : value.split(",")) {
        String trimmed = token.trim().toLowerCase(Locale.ROOT);
        if (!trimmed.isEmpty()) {
          tokens.add(AsciiString.of(trimmed));
        }
      }
    }
    return tokens;
  }

  private static Header header(String name, String value) {
    return Header.newBuilder().setName(name).setValue(value).build();
  }

  /**
   * The request to write to a server channel.
   *
   * @param http2 whether the channel is an HTTP/2 stream (framing headers are only added for HTTP/1.1)
   */
  public static HttpRequest toRequest(Head head, boolean http2) {
    HttpMethod method = HttpMethod.valueOf(head.getMethod());
    HttpRequest request = head.getEndOfStream()
        ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, head.getPath(), Unpooled.EMPTY_BUFFER)
        : new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, head.getPath());
    HttpHeaders headers = request.headers();
    if (!head.getAuthority().isEmpty()) {
      headers.set(HttpHeaderNames.HOST, head.getAuthority());
    }
    copyHeaders(head, headers);
    return framed(request, head.getEndOfStream(), http2);
  }

  /**
   * The request to pass to a server for one read from a caller, without going through a {@link Head}: the
   * same end-to-end headers and framing as {@link #toRequest(Head, boolean)} of {@link #requestHead}.
   * Does not release {@code request}.
   */
  public static HttpRequest forwardRequest(HttpRequest request, boolean endOfStream, boolean http2) {
    HttpRequest out = endOfStream
        ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(), Unpooled.EMPTY_BUFFER)
        : new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri());
    HttpHeaders headers = out.headers();
    String authority = request.headers().get(HttpHeaderNames.HOST);
    if (authority != null && !authority.isEmpty()) {
      headers.set(HttpHeaderNames.HOST, authority);
    }
    forEachEndToEnd(request.headers(), headers::add);
    return framed(out, endOfStream, http2);
  }

  private static HttpRequest framed(HttpRequest request, boolean endOfStream, boolean http2) {
    if (!http2 && !endOfStream && !HttpUtil.isContentLengthSet(request)) {
      HttpUtil.setTransferEncodingChunked(request, true);
    }
    return request;
  }

  /**
   * The response to write to a caller channel.
   *
   * @param http2 whether the channel is an HTTP/2 stream
   * @param headRequest whether the request was HEAD (its response never has a body, whatever its headers say)
   */
  public static HttpResponse toResponse(Head head, boolean http2, boolean headRequest) {
    HttpResponseStatus status = HttpResponseStatus.valueOf(head.getStatus());
    HttpResponse response = head.getEndOfStream()
        ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER)
        : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    copyHeaders(head, response.headers());
    return framed(response, head.getEndOfStream(), http2, headRequest);
  }

  /**
   * The response to pass to a caller for one read from a server, without going through a {@link Head}: the
   * same as {@link #toResponse(Head, boolean, boolean)} of {@link #responseHead}. Does not release {@code response}.
   */
  public static HttpResponse forwardResponse(HttpResponse response, boolean endOfStream, boolean http2,
      boolean headRequest) {
    HttpResponse out = endOfStream
        ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER)
        : new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status());
    forEachEndToEnd(response.headers(), out.headers()::add);
    return framed(out, endOfStream, http2, headRequest);
  }

  private static HttpResponse framed(HttpResponse response, boolean endOfStream, boolean http2, boolean headRequest) {
    if (!http2 && !headRequest && mayHaveBody(response.status().code()) && !HttpUtil.isContentLengthSet(response)) {
      if (endOfStream) {
        HttpUtil.setContentLength(response, 0);
      } else {
        HttpUtil.setTransferEncodingChunked(response, true);
      }
    }
    return response;
  }

  private static boolean mayHaveBody(int status) {
    return status >= 200 && status != 204 && status != 304;
  }

  private static void copyHeaders(Head head, HttpHeaders headers) {
    for (Header header : head.getHeadersList()) {
      headers.add(header.getName(), header.getValue());
    }
  }

  /**
   * The body part of a message that may also be a head ({@code FullHttpRequest} is both): a plain content or
   * last content holding a retained slice of its buffer and its trailers. The caller still releases {@code msg}.
   */
  public static HttpContent bodyOf(HttpContent msg) {
    if (msg instanceof LastHttpContent last) {
      DefaultLastHttpContent body = new DefaultLastHttpContent(last.content().retainedSlice());
      body.trailingHeaders().set(last.trailingHeaders());
      return body;
    }
    return new DefaultHttpContent(msg.content().retainedSlice());
  }

  /** A data frame holding a copy of {@code content}'s readable bytes; does not release it. */
  public static ExchangeFrame data(ByteBuf content) {
    byte[] bytes = new byte[content.readableBytes()];
    content.getBytes(content.readerIndex(), bytes);
    return ExchangeFrame.newBuilder().setData(UnsafeByteOperations.unsafeWrap(bytes)).build();
  }

  /** A buffer over a data frame's bytes, without copying. */
  public static ByteBuf content(ByteString data) {
    return Unpooled.wrappedBuffer(data.asReadOnlyByteBuffer());
  }

  /** The frame that ends a body: trailers when there are any, else End. */
  public static ExchangeFrame last(LastHttpContent last) {
    HttpHeaders trailing = last.trailingHeaders();
    if (trailing.isEmpty()) {
      return END;
    }
    Trailers.Builder trailers = Trailers.newBuilder();
    for (Map.Entry<String, String> header : trailing) {
      trailers.addHeaders(header(header.getKey().toLowerCase(Locale.ROOT), header.getValue()));
    }
    return ExchangeFrame.newBuilder().setTrailers(trailers).build();
  }

  /** The last content to write for trailers. */
  public static LastHttpContent toLast(Trailers trailers) {
    DefaultLastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
    for (Header header : trailers.getHeadersList()) {
      last.trailingHeaders().add(header.getName(), header.getValue());
    }
    return last;
  }

  public static final ExchangeFrame END = ExchangeFrame.newBuilder().setEnd(End.getDefaultInstance()).build();

  public static ExchangeFrame head(Head head) {
    return ExchangeFrame.newBuilder().setHead(head).build();
  }

  public static ExchangeFrame reset(long http2ErrorCode, String message) {
    return ExchangeFrame.newBuilder()
        .setReset(Reset.newBuilder().setHttp2ErrorCode((int) http2ErrorCode).setMessage(message))
        .build();
  }

  /** Header value for gRPC content type, for synthesized responses. */
  public static final AsciiString GRPC_CONTENT_TYPE = AsciiString.cached("application/grpc");
}

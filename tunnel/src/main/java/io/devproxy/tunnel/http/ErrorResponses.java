package io.devproxy.tunnel.http;

import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Head;
import io.devproxy.proto.tunnel.Header;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import com.google.protobuf.ByteString;

/**
 * Responses devproxy itself gives when it cannot deliver an exchange, in the caller's terms: a gRPC caller
 * gets a trailers-only response with a gRPC status, anyone else a plain-text HTTP status. The message is the
 * sentence the developer reads, e.g. {@code devproxy: nothing listening on localhost:8080}.
 */
public final class ErrorResponses {

  private ErrorResponses() {}

  /**
   * The frames of an error response.
   *
   * @param grpc whether the request was gRPC (content-type {@code application/grpc*})
   * @param http the status for a plain HTTP caller, e.g. 502
   * @param grpcCode the status for a gRPC caller, e.g. UNAVAILABLE
   */
  public static List<ExchangeFrame> frames(boolean grpc, HttpResponseStatus http, Status.Code grpcCode, String message) {
    if (grpc) {
      Head head = Head.newBuilder()
          .setStatus(200)
          .addHeaders(header("content-type", "application/grpc"))
          .addHeaders(header("grpc-status", Integer.toString(grpcCode.value())))
          .addHeaders(header("grpc-message", percentEncode(message)))
          .setEndOfStream(true)
          .build();
      return List.of(HttpFrames.head(head));
    }
    byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
    Head head = Head.newBuilder()
        .setStatus(http.code())
        .addHeaders(header("content-type", "text/plain; charset=utf-8"))
        .addHeaders(header("content-length", Integer.toString(body.length)))
        .build();
    return List.of(
        HttpFrames.head(head),
        ExchangeFrame.newBuilder().setData(ByteString.copyFrom(body)).build(),
        HttpFrames.END);
  }

  private static Header header(String name, String value) {
    return Header.newBuilder().setName(name).setValue(value).build();
  }

  /** grpc-message encoding (gRPC HTTP/2 protocol spec): percent-encode bytes outside 0x20-0x7E and '%'. */
  static String percentEncode(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}

package io.devproxy.cli.demo;

import io.grpc.Metadata;
import java.net.http.HttpRequest;

/**
 * What marks a request as the developer's, or nothing: the session header, or a W3C {@code baggage} member,
 * as OpenTelemetry propagation carries it through a call chain.
 */
enum Marker {
  NONE,
  HEADER,
  BAGGAGE;

  static final String SESSION_HEADER = "x-devproxy-session";
  static final String BAGGAGE_HEADER = "baggage";
  static final String BAGGAGE_MEMBER = "devproxy-session";

  /** How the marker reads in the demo's output, e.g. {@code x-devproxy-session: alice}; empty for none. */
  String describe(String key) {
    return switch (this) {
      case NONE -> "";
      case HEADER -> SESSION_HEADER + ": " + key;
      case BAGGAGE -> BAGGAGE_HEADER + ": " + baggage(key);
    };
  }

  /** gRPC metadata carrying the marker. */
  Metadata metadata(String key) {
    Metadata metadata = new Metadata();
    switch (this) {
      case NONE -> {}
      case HEADER -> metadata.put(Metadata.Key.of(SESSION_HEADER, Metadata.ASCII_STRING_MARSHALLER), key);
      case BAGGAGE -> metadata.put(Metadata.Key.of(BAGGAGE_HEADER, Metadata.ASCII_STRING_MARSHALLER), baggage(key));
    }
    return metadata;
  }

  /** {@code request} with the marker's header added. */
  HttpRequest.Builder addTo(HttpRequest.Builder request, String key) {
    return switch (this) {
      case NONE -> request;
      case HEADER -> request.header(SESSION_HEADER, key);
      case BAGGAGE -> request.header(BAGGAGE_HEADER, baggage(key));
    };
  }

  /** The W3C baggage header value with the session member. */
  private static String baggage(String key) {
    return BAGGAGE_MEMBER + "=" + key;
  }
}

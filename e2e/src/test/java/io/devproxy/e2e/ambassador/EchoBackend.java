package io.devproxy.e2e.ambassador;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 upstream on loopback (the JDK's HttpServer) that answers every request {@code 200} without a body and
 * says in response headers who it is and what reached it: {@code x-served-by: <name>}, {@code x-method},
 * {@code x-path} (path and query as received) and {@code x-echo-<name>} per request header (values joined by
 * {@code ,}). Owns one dispatcher thread until {@link #close()}.
 */
final class EchoBackend implements AutoCloseable {

  static final String SERVED_BY = "x-served-by";
  static final String METHOD = "x-method";
  static final String PATH = "x-path";
  static final String ECHO_PREFIX = "x-echo-";

  private final String name;
  private final HttpServer server;

  private EchoBackend(String name, HttpServer server) {
    this.name = name;
    this.server = server;
  }

  static EchoBackend start(String name) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> answer(name, exchange));
    server.start();
    return new EchoBackend(name, server);
  }

  private static void answer(String name, HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      Headers response = exchange.getResponseHeaders();
      response.add(SERVED_BY, name);
      response.add(METHOD, exchange.getRequestMethod());
      response.add(PATH, exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
      for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
        response.add(ECHO_PREFIX + header.getKey().toLowerCase(Locale.ROOT), String.join(",", header.getValue()));
      }
      exchange.sendResponseHeaders(200, -1);
    }
  }

  String name() {
    return name;
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

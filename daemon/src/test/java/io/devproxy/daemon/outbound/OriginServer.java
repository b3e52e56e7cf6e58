package io.devproxy.daemon.outbound;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP server on a loopback port standing in for a cluster service. {@code /echo} answers with the request
 * body; any other path with one line describing the request as it arrived: {@code GET /x?y=1 host=orders.shop:8080
 * connection=close proxy-connection=null proxy-authorization=null body=...}. Thread-safe.
 */
final class OriginServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "origin-server");
    t.setDaemon(true);
    return t;
  });

  OriginServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    byte[] response;
    if (exchange.getRequestURI().getPath().equals("/echo")) {
      response = body;
    } else {
      var headers = exchange.getRequestHeaders();
      response = (exchange.getRequestMethod() + " " + exchange.getRequestURI()
          + " host=" + headers.getFirst("Host")
          + " connection=" + headers.getFirst("Connection")
          + " proxy-connection=" + headers.getFirst("Proxy-Connection")
          + " proxy-authorization=" + headers.getFirst("Proxy-Authorization")
          + " body=" + new String(body, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8);
    }
    exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(response);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}

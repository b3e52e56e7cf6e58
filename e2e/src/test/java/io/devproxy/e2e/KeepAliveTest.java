package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several requests on one caller connection, matched and not, while the servers behind close their
 * connection after each response (HTTP/1.0 style) or keep it.
 */
class KeepAliveTest {

  @TempDir
  static Path root;

  static RestServer cluster;
  static HttpServer closingLocal;
  static Loopback loopback;

  @BeforeAll
  static void start() throws Exception {
    cluster = new RestServer("cluster");
    cluster.start();
    closingLocal = HttpServer.create(Loopback.loopback(0), 0);
    closingLocal.createContext("/who", exchange -> {
      byte[] body = "local\n".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Connection", "close");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    closingLocal.start();
    loopback = new Loopback(root);
    loopback.startAgent(cluster.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));
    loopback.startDaemon();
    loopback.intercept("closing", closingLocal.getAddress().getPort());
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
    if (closingLocal != null) {
      closingLocal.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void sequentialRequestsOnOneConnectionAlternateBetweenSides() throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(loopback.agent.listenAddress(), 5000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 6; i++) {
        boolean matched = i % 3 != 2;
        out.write(("GET /who HTTP/1.1\r\nHost: x\r\n" + (matched ? "x-devproxy-session: " + Loopback.KEY + "\r\n" : "")
            + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String head = FlowControlTest.readHead(in);
        assertThat(head).as("response %d", i).startsWith("HTTP/1.1 200");
        int length = Integer.parseInt(head.replaceAll("(?s).*content-length: (\\d+).*", "$1"));
        byte[] body = in.readNBytes(length);
        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(matched ? "local\n" : "cluster\n");
      }
    }
  }
}

package io.devproxy.daemon.kube.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server on a loopback port standing in for a pod's port: on each connection it first writes its
 * greeting (so a test sees which pod it reached, and bytes flowing towards the client before the client
 * sends any), then echoes everything until the client closes. Thread-safe; {@link #close} closes the
 * listening socket and every connection.
 */
public final class EchoServer implements AutoCloseable {

  private final byte[] greeting;
  private final ServerSocket serverSocket;
  private final ExecutorService threads;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();

  /** Starts a server that greets with {@code greeting} (UTF-8; empty for none). */
  public EchoServer(String greeting) throws IOException {
    this.greeting = greeting.getBytes(StandardCharsets.UTF_8);
    this.serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "echo-" + serverSocket.getLocalPort() + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    threads.execute(this::acceptLoop);
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(serverSocket.getInetAddress(), serverSocket.getLocalPort());
  }

  /** Connections open now. */
  public int openConnections() {
    return connections.size();
  }

  /** Connections accepted since the start. */
  public int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!serverSocket.isClosed()) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      connections.add(socket);
      try {
        threads.execute(() -> echo(socket));
      } catch (RejectedExecutionException e) {
        connections.remove(socket);
        closeQuietly(socket);
        return;
      }
    }
  }

  private void echo(Socket socket) {
    try (socket) {
      OutputStream out = socket.getOutputStream();
      out.write(greeting);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // the client went away, or close() closed the socket
    } finally {
      connections.remove(socket);
    }
  }

  @Override
  public void close() throws IOException {
    serverSocket.close();
    threads.shutdownNow();
    for (Socket socket : List.copyOf(connections)) {
      closeQuietly(socket);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}

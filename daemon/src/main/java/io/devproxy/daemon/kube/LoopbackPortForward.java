package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.PortForward;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A listener on a loopback port whose every accepted connection is carried to a port of one pod by its own
 * fabric8 port-forward WebSocket ({@link PodResource#portForward(int, java.nio.channels.ReadableByteChannel,
 * java.nio.channels.WritableByteChannel)}).
 *
 * <p>Why not fabric8's {@code LocalPortForward}: its {@code close()} returns while its accept thread can still
 * take one more connection (the JDK finishes closing a listening socket only when the blocked accept
 * returns), and that connection is then forwarded and never closed; it also keeps every connection it ever
 * forwarded until it is closed. Here {@link #close} returns only after the accept thread ended, a connection
 * accepted meanwhile is closed unforwarded, finished connections are dropped as new ones come, and a local
 * client closing its connection ends the pod's connection too.
 *
 * <p>Thread-safe. Owns one daemon thread (the accept loop) and the connections; not the client.
 */
final class LoopbackPortForward implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(LoopbackPortForward.class.getName());
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final PodResource pod;
  private final int port;
  private final String name;
  private final ServerSocketChannel server;
  private final InetSocketAddress localAddress;
  private final Thread acceptor;
  private final Object lock = new Object();
  /** Connections that may still be open; guarded by {@link #lock}. */
  private final List<PortForward> connections = new ArrayList<>();
  /** Errors of connections already dropped from {@link #connections}; guarded by {@link #lock}. */
  private int droppedErrors;
  private Throwable lastDroppedError;
  private volatile boolean closed;

  /** What went wrong on the API server's side of the connections so far. */
  record Errors(int count, Throwable last) {}

  private LoopbackPortForward(PodResource pod, int port, String name, ServerSocketChannel server)
      throws IOException {
    this.pod = pod;
    this.port = port;
    this.name = name;
    this.server = server;
    this.localAddress = (InetSocketAddress) server.getLocalAddress();
    this.acceptor = new Thread(this::acceptLoop, "devproxy-port-forward-" + name + ":" + port);
    acceptor.setDaemon(true);
  }

  /**
   * Listens on a new loopback port and forwards each connection to {@code port} of {@code pod}. Sends
   * nothing to the API server yet.
   *
   * @param name {@code namespace/pod}, for the thread name and logs
   * @throws IOException when no loopback port can be bound
   */
  static LoopbackPortForward open(PodResource pod, int port, String name) throws IOException {
    requireNonNull(pod, "pod");
    requireNonNull(name, "name");
    ServerSocketChannel server = ServerSocketChannel.open();
    LoopbackPortForward forward;
    try {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      forward = new LoopbackPortForward(pod, port, name, server);
    } catch (IOException | RuntimeException e) {
      closeQuietly(server);
      throw e;
    }
    forward.acceptor.start();
    return forward;
  }

  InetSocketAddress localAddress() {
    return localAddress;
  }

  /** False once closed, or when the listener failed. */
  boolean isAlive() {
    return !closed && acceptor.isAlive();
  }

  Errors errors() {
    synchronized (lock) {
      dropFinished();
      int count = droppedErrors;
      Throwable last = lastDroppedError;
      for (PortForward connection : connections) {
        Collection<Throwable> errors = connection.getServerThrowables();
        count += errors.size();
        for (Throwable t : errors) {
          last = t;
        }
      }
      return new Errors(count, last);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!closed) {
          logger.log(Level.WARNING, "[{0}] The local port-forward listener failed: {1}", new Object[] {name, e});
        }
        return;
      }
      PortForward connection = null;
      if (!closed) {
        try {
          LocalEnd in = new LocalEnd(socket);
          connection = pod.portForward(port, in, socket);
          in.forwardedBy(connection);
        } catch (RuntimeException e) {
          logger.log(Level.FINE, "[{0}] Cannot forward a connection: {1}", new Object[] {name, e});
          synchronized (lock) {
            droppedErrors++;
            lastDroppedError = e;
          }
        }
      }
      synchronized (lock) {
        if (connection != null && !closed) {
          dropFinished();
          connections.add(connection);
          continue;
        }
      }
      closeQuietly(connection);
      closeQuietly(socket);
    }
  }

  /**
   * The local socket as fabric8 reads it. A port-forward WebSocket has no half-close, so when the local client
   * ends its side the whole connection ends, as kubectl does; else the pod would keep a connection nobody
   * uses until it closes it itself.
   */
  private static final class LocalEnd implements ReadableByteChannel {
    private final SocketChannel socket;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile PortForward connection;

    LocalEnd(SocketChannel socket) {
      this.socket = socket;
    }

    void forwardedBy(PortForward connection) {
      this.connection = connection;
      if (ended.get()) {
        closeQuietly(connection);
      }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = socket.read(dst);
      if (n < 0 && ended.compareAndSet(false, true)) {
        PortForward c = connection;
        if (c != null) {
          closeQuietly(c);
        }
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Forgets finished connections, keeping count of their errors. Holds {@link #lock}. */
  private void dropFinished() {
    connections.removeIf(connection -> {
      if (connection.isAlive()) {
        return false;
      }
      for (Throwable t : connection.getServerThrowables()) {
        droppedErrors++;
        lastDroppedError = t;
      }
      return true;
    });
  }

  /**
   * Stops listening (the port refuses connections when this returns) and closes every connection, waiting
   * up to 5 s for them to end. Idempotent.
   */
  @Override
  public void close() {
    List<PortForward> open;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      open = List.copyOf(connections);
      connections.clear();
    }
    closeQuietly(server);
    boolean interrupted = false;
    try {
      acceptor.join(CLOSE_WAIT_MILLIS);
    } catch (InterruptedException e) {
      interrupted = true;
    }
    for (PortForward connection : open) {
      closeQuietly(connection);
    }
    long deadline = System.nanoTime() + CLOSE_WAIT_MILLIS * 1_000_000;
    for (PortForward connection : open) {
      while (!interrupted && connection.isAlive() && System.nanoTime() < deadline) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Closeable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (IOException e) {
      logger.log(Level.FINE, "Closing {0} failed: {1}", new Object[] {closeable, e});
    }
  }
}

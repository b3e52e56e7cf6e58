package io.devproxy.daemon.kube.testing;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.CustomResourceAware;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.Resetable;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's mock API server in CRUD mode that also serves pod port-forwards the way a kubelet does, so tests
 * run the daemon's real {@code portForward} code against real TCP servers standing in for pods.
 *
 * <p>{@code GET /api/v1/namespaces/{ns}/pods/{pod}/portforward?ports=N} with a WebSocket upgrade is answered
 * with the kubelet's side of {@code v4.channel.k8s.io}: first one frame per channel carrying the port
 * ({@code [channel, portLo, portHi]}, data channel 0 then error channel 1), then the bytes of one TCP
 * connection to {@link PodAddresses#resolve}'s address, as binary frames of at most 4096 bytes whose first
 * byte is the channel. The pod must exist in the API (else 404, as the API server answers); when the address
 * is null or refuses the connection, an error message goes on channel 1 and the WebSocket closes, as a
 * kubelet does when nothing listens on the port. When the pod closes its connection, the WebSocket closes.
 * A port-forward request that matches a scripted expectation ({@code server().expect().get().withPath(...)})
 * gets that response instead, so tests can script a 403.
 *
 * <p>No flow control towards the client: what the pod sends is queued in the server's WebSocket. Inbound
 * frames are written to the pod by one thread per connection, so a pod that stops reading stalls only its
 * own connection.
 *
 * <p>It also works around fabric8 8.0.0's mock stalling an event loop, and failing requests, when a client
 * closes a watch ({@link CloseOffTheEventLoop}); {@link #failWatches} lets tests break watches on purpose.
 *
 * <p>Thread-safe. {@link #close} ends every port-forward connection, then stops the server.
 */
public final class PortForwardingMockServer implements AutoCloseable {

  /** Where a pod's port listens in a test. */
  @FunctionalInterface
  public interface PodAddresses {
    /**
     * The address the kubelet would reach for {@code port} of {@code pod}; null when nothing listens there.
     * Called on a relay thread, once per forwarded connection.
     */
    InetSocketAddress resolve(String namespace, String pod, int port);
  }

  /** Largest WebSocket payload the relay sends, channel byte included (as fabric8's client sends too). */
  static final int MAX_FRAME = 4096;
  private static final byte DATA = 0;
  private static final byte ERROR = 1;
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  private static final Pattern PORT_FORWARD =
      Pattern.compile("/api/v1/namespaces/([^/?]+)/pods/([^/?]+)/portforward(?:\\?(.*))?");
  private static final Pattern WATCH = Pattern.compile("[?&]watch=(true|1)(&|$)");

  private final KubernetesMockServer server;
  private final PodAddresses pods;
  private final ExecutorService relayThreads;
  private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
  private final AtomicInteger opened = new AtomicInteger();
  private volatile boolean failWatches;
  private volatile boolean closed;

  private PortForwardingMockServer(PodAddresses pods) {
    this.pods = requireNonNull(pods, "pods");
    AtomicInteger threads = new AtomicInteger();
    this.relayThreads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "mock-port-forward-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    // As @EnableKubernetesMockClient(crud = true) builds it, with our dispatcher in front of the CRUD one.
    this.server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
        new PortForwardDispatcher(responses, new KubernetesMixedDispatcher(responses)), false);
  }

  /** A started server on a loopback port, HTTP. */
  public static PortForwardingMockServer start(PodAddresses pods) {
    PortForwardingMockServer mock = new PortForwardingMockServer(pods);
    mock.server.init();
    return mock;
  }

  /** A new client of this server (namespace "test", as fabric8's mock clients); the caller closes it. */
  public KubernetesClient client() {
    return server.createClient();
  }

  /** The underlying mock server, to script expectations that take precedence over CRUD and port-forwards. */
  public KubernetesMockServer server() {
    return server;
  }

  /** The API server URL without a trailing slash, e.g. {@code http://localhost:41234}. */
  public String url() {
    String url = server.url("/");
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /**
   * Writes a kubeconfig whose only context, {@code mock} (current), points at this server with
   * {@code namespace}, so a separate process can use the server. Overwrites {@code file}.
   *
   * @return {@code file}
   */
  public Path writeKubeconfig(Path file, String namespace) throws IOException {
    requireNonNull(file, "file");
    requireNonNull(namespace, "namespace");
    String kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: %s
        users:
        - name: mock
          user:
            token: mock-token
        contexts:
        - name: mock
          context:
            cluster: mock
            user: mock
            namespace: %s
        current-context: mock
        """.formatted(url(), namespace);
    return Files.writeString(file, kubeconfig, StandardCharsets.UTF_8);
  }

  /**
   * While true, every watch request ({@code ?watch=true}) fails with 500, as when something between the
   * client and the API server keeps cutting long-lived connections. Watches already open are not affected.
   */
  public void failWatches(boolean fail) {
    this.failWatches = fail;
  }

  /** Port-forward connections relaying now. */
  public int activeForwards() {
    return relays.size();
  }

  /** Port-forward connections opened since the start, including those that failed. */
  public int forwardsOpened() {
    return opened.get();
  }

  /** Ends every port-forward connection and stops the server. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Relay relay : List.copyOf(relays)) {
      relay.abort();
    }
    relayThreads.shutdownNow();
    server.destroy();
  }

  private static MockResponse status(int code, String reason, String message) {
    Status status = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
        .withMessage(message).build();
    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
        .setBody(Serialization.asJson(status));
  }

  /** Port-forwards and broken watches here; everything else (and scripted expectations) to fabric8's. */
  private final class PortForwardDispatcher extends Dispatcher implements Resetable, CustomResourceAware {
    private final Map<ServerRequest, Queue<ServerResponse>> responses;
    private final KubernetesMixedDispatcher api;

    PortForwardDispatcher(Map<ServerRequest, Queue<ServerResponse>> responses, KubernetesMixedDispatcher api) {
      this.responses = responses;
      this.api = api;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      if (!"GET".equals(request.getMethod()) || scripted(path)) {
        return api(request);
      }
      if (failWatches && WATCH.matcher(path).find()) {
        return status(500, "InternalError", "watches are failing (PortForwardingMockServer.failWatches)");
      }
      Matcher m = PORT_FORWARD.matcher(path);
      return m.matches() ? portForward(request, m.group(1), m.group(2), m.group(3)) : api(request);
    }

    private MockResponse api(RecordedRequest request) {
      MockResponse response = api.dispatch(request);
      WebSocketListener listener = response.getWebSocketListener();
      return listener == null ? response : response.withWebSocketUpgrade(new CloseOffTheEventLoop(listener));
    }

    private boolean scripted(String path) {
      Queue<ServerResponse> queue = responses.get(new SimpleRequest(HttpMethod.GET, path));
      return queue != null && !queue.isEmpty();
    }

    private MockResponse portForward(RecordedRequest request, String namespace, String pod, String query) {
      int port = port(query);
      if (port < 0) {
        return status(400, "BadRequest", "exactly one port is needed in ?ports= (got " + query + ")");
      }
      MockResponse podResponse = api.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.GET,
          "/api/v1/namespaces/" + namespace + "/pods/" + pod, Headers.builder().build(), new Buffer()));
      if (podResponse.code() != 200) {
        return podResponse;
      }
      String upgrade = request.getHeader("Upgrade");
      if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
        return status(400, "BadRequest", "this mock forwards ports over WebSockets (v4.channel.k8s.io) only");
      }
      opened.incrementAndGet();
      return new MockResponse().withWebSocketUpgrade(new Relay(namespace, pod, port));
    }

    private int port(String query) {
      if (query == null) {
        return -1;
      }
      int port = -1;
      for (String param : query.split("&")) {
        if (param.startsWith("ports=")) {
          if (port != -1) {
            return -1;
          }
          try {
            port = Integer.parseInt(param.substring("ports=".length()));
          } catch (NumberFormatException e) {
            return -1;
          }
        }
      }
      return port >= 1 && port <= 65535 ? port : -1;
    }

    @Override
    public void shutdown() {
      api.shutdown();
    }

    @Override
    public void releaseResources() {
      api.releaseResources();
    }

    @Override
    public void reset() {
      api.reset();
    }

    @Override
    public void expectCustomResource(CustomResourceDefinitionContext rdc) {
      api.expectCustomResource(rdc);
    }
  }

  /**
   * Ends a WebSocket the CRUD dispatcher serves (a watch) without stalling the server. fabric8 8.0.0's
   * {@code WatchEventsListener} queues a close on its executor in {@code onClosing}, then in {@code onClosed}
   * shuts that executor down and waits up to a minute for it, on the event loop the queued close needs: each
   * watch a client closed stalled one event loop, and every request and port-forward on it. And until it
   * forgets the listener, a change to a watched resource is sent to the shut-down executor, whose rejection
   * fails the change's request (after the change was stored) and skips the other watches. So here the
   * queued close is left out (Vert.x answers a client's close frame itself), the listener is dropped from
   * the dispatcher's watches first, and {@code onClosed} runs on a relay thread.
   */
  private final class CloseOffTheEventLoop extends WebSocketListener {
    private final WebSocketListener delegate;

    CloseOffTheEventLoop(WebSocketListener delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      delegate.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      delegate.onOpen(webSocket, response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      delegate.onMessage(webSocket, text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
      delegate.onMessage(webSocket, bytes);
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] bytes) {
      delegate.onMessage(webSocket, bytes);
    }

    @Override
    public void onPing(WebSocket webSocket, byte[] bytes) {
      delegate.onPing(webSocket, bytes);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      // Not forwarded: see the class comment.
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      forgetWatch();
      offTheEventLoop(() -> delegate.onClosed(webSocket, code, reason));
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      forgetWatch();
      offTheEventLoop(() -> delegate.onFailure(webSocket, t, response));
    }

    /** Removes the listener from the dispatcher's watches, which it does itself only after its shutdown. */
    private void forgetWatch() {
      try {
        Field watches = delegate.getClass().getDeclaredField("watchEventListenerList");
        watches.setAccessible(true);
        ((Set<?>) watches.get(delegate)).remove(delegate);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // Another fabric8 version: it forgets the listener itself, a little later.
      }
    }

    private void offTheEventLoop(Runnable task) {
      try {
        relayThreads.execute(task);
      } catch (RejectedExecutionException e) {
        // Shutting down: the server closes every connection anyway; do not stall its event loop.
        Thread thread = new Thread(task, "mock-watch-close");
        thread.setDaemon(true);
        thread.start();
      }
    }
  }

  /**
   * One forwarded connection: the kubelet's end of one port-forward WebSocket. A reader thread connects to
   * the pod and sends what the pod writes; a writer thread writes what the client sends, in order, and
   * closes the pod connection once the WebSocket ended and everything received was written.
   */
  private final class Relay extends WebSocketListener {
    private static final byte[] END = new byte[0];

    private final String namespace;
    private final String pod;
    private final int port;
    private final BlockingQueue<byte[]> toPod = new LinkedBlockingQueue<>();
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile WebSocket webSocket;
    private volatile Socket socket;

    Relay(String namespace, String pod, int port) {
      this.namespace = namespace;
      this.pod = pod;
      this.port = port;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      this.webSocket = webSocket;
      relays.add(this);
      byte lo = (byte) port;
      byte hi = (byte) (port >>> 8);
      webSocket.send(new byte[] {DATA, lo, hi});
      webSocket.send(new byte[] {ERROR, lo, hi});
      try {
        relayThreads.execute(this::podToClient);
      } catch (RejectedExecutionException e) {
        end(1001, "server shutting down");
      }
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] bytes) {
      // Only the data channel carries bytes from the client; an empty payload is nothing to write.
      if (bytes.length > 1 && bytes[0] == DATA && !done.get()) {
        toPod.add(bytes);
      }
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      end(1000, "");
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      end(1000, "");
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      end(1011, "");
    }

    private void podToClient() {
      InetSocketAddress address;
      try {
        address = pods.resolve(namespace, pod, port);
      } catch (RuntimeException e) {
        fail("PodAddresses failed: " + e);
        return;
      }
      if (address == null) {
        fail("nothing listens on port " + port);
        return;
      }
      Socket s = new Socket();
      try {
        s.connect(address, CONNECT_TIMEOUT_MILLIS);
      } catch (IOException e) {
        closeQuietly(s);
        fail("dial tcp " + address + ": " + e.getMessage());
        return;
      }
      socket = s;
      if (done.get()) {
        closeQuietly(s);
        return;
      }
      try {
        relayThreads.execute(this::clientToPod);
      } catch (RejectedExecutionException e) {
        closeQuietly(s);
        end(1001, "server shutting down");
        return;
      }
      try {
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[MAX_FRAME];
        int n;
        while ((n = in.read(buffer, 1, MAX_FRAME - 1)) >= 0) {
          if (n > 0) {
            byte[] frame = Arrays.copyOf(buffer, n + 1); // the WebSocket keeps the array it is given
            frame[0] = DATA;
            webSocket.send(frame);
          }
        }
      } catch (IOException e) {
        // The pod reset the connection, or the writer closed it after the WebSocket ended.
      }
      end(1000, "");
    }

    private void clientToPod() {
      Socket s = socket;
      try {
        OutputStream out = s.getOutputStream();
        for (byte[] frame = toPod.take(); frame != END; frame = toPod.take()) {
          out.write(frame, 1, frame.length - 1);
        }
      } catch (IOException e) {
        end(1000, "");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closeQuietly(s);
      }
    }

    /** As a kubelet: the error on channel 1, then the end of the stream. */
    private void fail(String message) {
      byte[] text = ("error forwarding port " + port + " to pod " + namespace + "/" + pod + ": " + message)
          .getBytes(StandardCharsets.UTF_8);
      byte[] frame = new byte[text.length + 1];
      frame[0] = ERROR;
      System.arraycopy(text, 0, frame, 1, text.length);
      webSocket.send(frame);
      end(1000, "");
    }

    private void end(int code, String reason) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      relays.remove(this);
      toPod.add(END);
      WebSocket ws = webSocket;
      if (ws != null) {
        ws.close(code, reason);
      }
    }

    void abort() {
      end(1001, "server shutting down");
      Socket s = socket;
      if (s != null) {
        closeQuietly(s);
      }
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

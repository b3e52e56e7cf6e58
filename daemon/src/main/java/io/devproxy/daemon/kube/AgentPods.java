package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.tunnel.AgentSource;
import io.devproxy.tunnel.errors.DevproxyException;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Follows the pods of one workload and keeps one local port-forward to the traffic agent's tunnel port in
 * every ready agent pod, for the tunnel client's one connection per agent.
 *
 * <p>A pod counts when it is not terminating (no deletionTimestamp), its phase is Running and its
 * {@value AgentContainer#NAME} container is ready. An informer on the selector's pods makes changes show up
 * at once, and a list every resync period (5 s) makes sure a stalled or dropped watch loses nothing; every
 * decision is taken on a fresh list, never on a single event. Scale-up and rolling restarts add pods;
 * deletions and lost readiness remove them; the other pods' forwards are left alone. A pod replaced by a new
 * one of the same name (a StatefulSet's) and a forward that stopped accepting connections are removed and
 * added again.
 *
 * <p>Each forward is a {@link LoopbackPortForward}: a listener on a loopback port the system picks (never
 * 0.0.0.0) whose every accepted connection opens its own port-forward WebSocket. Opening one sends nothing to
 * the API server, so a refused port-forward (403, nothing listening in the pod) closes the accepted
 * connection; such failures are logged at the next resync, at warning once per pod. A forward that cannot be
 * opened is logged once and retried at the next resync.
 *
 * <p>Threads: every list and every {@link AgentSource.Listener} call runs on the executor, one at a time (never
 * concurrently), in the order of the changes, and never under a lock of this class, so a listener may call
 * {@link #pods()} or {@link #close()}. A list blocks an executor thread for up to the client's request
 * timeout. The informer runs on the client's threads and only asks for a resync; each forward owns one
 * accept thread. The caller owns the client and the executor, and closes them after {@link #close()}.
 *
 * <p>RBAC: list and watch pods; get and create pods/portforward (a WebSocket port-forward is a GET; Kubernetes
 * 1.35 checks create as well).
 */
public final class AgentPods implements AutoCloseable {

  static final Duration RESYNC_PERIOD = Duration.ofSeconds(5);
  private static final Logger logger = Logger.getLogger(AgentPods.class.getName());

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, String> selector;
  private final int tunnelPort;
  /** Told of each ready pod (its forward's loopback address) and each pod gone (its forward closed already). */
  private final AgentSource.Listener listener;
  private final ScheduledExecutorService executor;
  private final Duration resyncPeriod;

  /** Resync requests not yet served; non-zero while a resync is queued or running, so only one is. */
  private final AtomicInteger resyncRequests = new AtomicInteger();
  private final AtomicLong resyncs = new AtomicLong();

  private final Object lock = new Object();
  /** Pod name → its forward; guarded by {@link #lock}, sorted for {@link #pods()}. */
  private final Map<String, Forward> forwards = new TreeMap<>();
  private boolean started;
  private volatile boolean closed;
  private ScheduledFuture<?> timer;
  private SharedIndexInformer<Pod> informer;

  // Only the resync (one at a time) touches these.
  private final Set<String> openFailed = new HashSet<>();
  private boolean listFailing;

  /** One open forward. */
  private static final class Forward {
    final String uid;
    final LoopbackPortForward portForward;
    int errorsSeen;
    boolean errorsLogged;

    Forward(String uid, LoopbackPortForward portForward) {
      this.uid = uid;
      this.portForward = portForward;
    }
  }

  /**
   * Follows the pods matching {@code selector} in {@code namespace}; call {@link #start}.
   *
   * @param selector the workload's pod labels (its {@code matchLabels}); not empty
   * @param tunnelPort the agent's tunnel port in the pod, 1-65535 ({@link AgentSpec#DEFAULT_TUNNEL_PORT})
   */
  public AgentPods(KubernetesClient client, String namespace, Map<String, String> selector, int tunnelPort,
      AgentSource.Listener listener, ScheduledExecutorService executor) {
    this(client, namespace, selector, tunnelPort, listener, executor, RESYNC_PERIOD);
  }

  AgentPods(KubernetesClient client, String namespace, Map<String, String> selector, int tunnelPort,
      AgentSource.Listener listener, ScheduledExecutorService executor, Duration resyncPeriod) {
    this.client = requireNonNull(client, "client");
    this.namespace = requireNonNull(namespace, "namespace");
    this.selector = Map.copyOf(requireNonNull(selector, "selector"));
    if (this.selector.isEmpty()) {
      throw new IllegalArgumentException("selector: {} (expected: at least one label)");
    }
    if (tunnelPort < 1 || tunnelPort > 65535) {
      throw new IllegalArgumentException("tunnelPort: " + tunnelPort + " (expected: 1-65535)");
    }
    this.tunnelPort = tunnelPort;
    this.listener = requireNonNull(listener, "listener");
    this.executor = requireNonNull(executor, "executor");
    this.resyncPeriod = requireNonNull(resyncPeriod, "resyncPeriod");
    if (resyncPeriod.isNegative() || resyncPeriod.isZero()) {
      throw new IllegalArgumentException("resyncPeriod: " + resyncPeriod + " (expected: > 0)");
    }
  }

  /** Starts following the pods: a first list at once, the informer, the periodic list. Idempotent. */
  public void start() {
    SharedIndexInformer<Pod> started;
    synchronized (lock) {
      if (this.started || closed) {
        return;
      }
      this.started = true;
      long millis = resyncPeriod.toMillis();
      timer = executor.scheduleWithFixedDelay(this::requestResync, millis, millis, TimeUnit.MILLISECONDS);
      informer = selected().runnableInformer(0);
      started = informer;
    }
    started.exceptionHandler((isStarted, t) -> {
      // The periodic list says it louder; the informer keeps retrying with its own backoff.
      logger.log(Level.FINE, "[{0}] Watching the agent pods failed, retrying: {1}", new Object[] {namespace, t});
      return true;
    });
    started.addEventHandler(new ResourceEventHandler<Pod>() {
      @Override
      public void onAdd(Pod pod) {
        requestResync();
      }

      @Override
      public void onUpdate(Pod oldPod, Pod newPod) {
        requestResync();
      }

      @Override
      public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        requestResync();
      }
    });
    started.start();
    requestResync();
  }

  /** The pods that have a forward now, by name. */
  public List<String> pods() {
    synchronized (lock) {
      return List.copyOf(forwards.keySet());
    }
  }

  /** Resyncs finished so far (tests wait for one to know an event was seen). */
  long resyncs() {
    return resyncs.get();
  }

  /**
   * Stops following the pods and closes every forward, which ends the connections through them. Calls no
   * listener method: whoever built on the forwards closes that. A listener call already under way may
   * still finish. Idempotent.
   */
  @Override
  public void close() {
    List<Forward> open;
    ScheduledFuture<?> timer;
    SharedIndexInformer<Pod> informer;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      open = List.copyOf(forwards.values());
      forwards.clear();
      timer = this.timer;
      informer = this.informer;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    if (informer != null) {
      informer.close();
    }
    for (Forward forward : open) {
      forward.portForward.close();
    }
  }

  private FilterWatchListDeletable<Pod, PodList, PodResource> selected() {
    return client.pods().inNamespace(namespace).withLabels(selector);
  }

  private void requestResync() {
    if (closed) {
      return;
    }
    if (resyncRequests.getAndIncrement() == 0) {
      submitResync();
    }
  }

  private void submitResync() {
    try {
      executor.execute(this::resyncOnce);
    } catch (RejectedExecutionException e) {
      // The executor is shut down: nothing runs any more.
      resyncRequests.set(0);
    }
  }

  /** One resync; another follows (as a new task) when requests came in meanwhile. */
  private void resyncOnce() {
    int seen = resyncRequests.get();
    try {
      resync();
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "[" + namespace + "] Following the agent pods failed unexpectedly", e);
    } finally {
      resyncs.incrementAndGet();
    }
    if (!resyncRequests.compareAndSet(seen, 0)) {
      submitResync();
    }
  }

  private void resync() {
    if (closed) {
      return;
    }
    List<Pod> listed;
    try {
      listed = KubeCalls.call("list", "pods", namespace, () -> selected().list().getItems());
    } catch (DevproxyException e) {
      if (closed) {
        return; // closing interrupted the list
      }
      // Keep the forwards: the pods are likely still there, and the tunnels through them may work.
      logger.log(listFailing ? Level.FINE : Level.WARNING, "[{0}] Cannot list the agent pods ({1}), retrying"
          + " every {2} s: {3}", new Object[] {namespace, selectorText(), resyncPeriod.toSeconds(), e.getMessage()});
      listFailing = true;
      return;
    }
    if (closed) {
      return;
    }
    if (listFailing) {
      listFailing = false;
      logger.log(Level.INFO, "[{0}] Listing the agent pods ({1}) works again", new Object[] {namespace,
          selectorText()});
    }
    Map<String, Pod> byName = new TreeMap<>();
    for (Pod pod : listed) {
      byName.put(pod.getMetadata().getName(), pod);
    }

    for (Map.Entry<String, Forward> entry : snapshot()) {
      String name = entry.getKey();
      Forward forward = entry.getValue();
      Pod pod = byName.get(name);
      String why = pod == null ? "gone" : notReady(pod);
      if (why == null && !Objects.equals(uid(pod), forward.uid)) {
        why = "replaced by a new pod of the same name";
      } else if (why == null && !forward.portForward.isAlive()) {
        why = "its port-forward stopped";
      }
      if (why != null) {
        remove(name, forward, why);
      }
    }
    for (Pod pod : byName.values()) {
      String name = pod.getMetadata().getName();
      if (notReady(pod) == null && !has(name)) {
        add(pod);
      }
    }
    for (Map.Entry<String, Forward> entry : snapshot()) {
      reportErrors(entry.getKey(), entry.getValue());
    }
    openFailed.retainAll(byName.keySet());
  }

  private List<Map.Entry<String, Forward>> snapshot() {
    synchronized (lock) {
      return List.copyOf(forwards.entrySet());
    }
  }

  private boolean has(String pod) {
    synchronized (lock) {
      return forwards.containsKey(pod);
    }
  }

  private void add(Pod pod) {
    String name = pod.getMetadata().getName();
    LoopbackPortForward portForward;
    try {
      portForward = LoopbackPortForward.open(client.pods().inNamespace(namespace).withName(name), tunnelPort,
          namespace + "/" + name);
    } catch (IOException | RuntimeException e) {
      logger.log(openFailed.add(name) ? Level.WARNING : Level.FINE, "[{0}/{1}] Cannot open a port-forward to the"
          + " agent, retrying every {2} s: {3}", new Object[] {namespace, name, resyncPeriod.toSeconds(),
              KubeClients.oneLine(String.valueOf(e.getMessage()))});
      return;
    }
    openFailed.remove(name);
    Forward forward = new Forward(uid(pod), portForward);
    InetSocketAddress local = portForward.localAddress();
    synchronized (lock) {
      if (!closed) {
        forwards.put(name, forward);
      }
    }
    if (closed) {
      portForward.close();
      return;
    }
    logger.log(Level.INFO, "[{0}/{1}] Agent pod ready; forwarding {2} to its port {3}", new Object[] {namespace,
        name, local.getAddress().getHostAddress() + ":" + local.getPort(), String.valueOf(tunnelPort)});
    callListener(name, "added", () -> listener.added(name, local));
  }

  private void remove(String name, Forward forward, String why) {
    synchronized (lock) {
      if (forwards.get(name) != forward) {
        return; // close() took it
      }
      forwards.remove(name);
    }
    forward.portForward.close();
    logger.log(Level.INFO, "[{0}/{1}] Agent pod removed ({2}); closed its port-forward",
        new Object[] {namespace, name, why});
    callListener(name, "removed", () -> listener.removed(name));
  }

  private void callListener(String pod, String what, Runnable call) {
    if (closed) {
      return;
    }
    try {
      call.run();
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "[" + namespace + "/" + pod + "] The agent pod listener failed on " + what, e);
    }
  }

  /**
   * Logs what went wrong on connections through the forward since the last resync: at warning the first
   * time for this pod, then at fine. Only the API server's side counts (refused upgrade, the kubelet's
   * error channel); a local client going away is not a problem of the forward.
   */
  private void reportErrors(String pod, Forward forward) {
    LoopbackPortForward.Errors errors = forward.portForward.errors();
    if (errors.count() <= forward.errorsSeen) {
      return;
    }
    forward.errorsSeen = errors.count();
    logger.log(forward.errorsLogged ? Level.FINE : Level.WARNING, "[{0}/{1}] A connection through the"
        + " port-forward to the agent failed: {2}", new Object[] {namespace, pod, describe(errors.last())});
    forward.errorsLogged = true;
  }

  private String describe(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null) {
        int code = handshake.getResponse().code();
        if (code == 403) {
          return "forbidden: get and create pods/portforward in namespace " + namespace
              + "; ask for the devproxy developer Role (devproxy rbac)";
        }
        return "the API server answered the port-forward with HTTP " + code;
      }
    }
    return KubeClients.oneLine(error.getMessage() != null ? error.getMessage() : error.toString());
  }

  /** Why {@code pod} has no usable agent; null when it is ready. */
  static String notReady(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return "terminating";
    }
    PodStatus status = pod.getStatus();
    String phase = status == null ? null : status.getPhase();
    if (!"Running".equals(phase)) {
      return "phase " + (phase == null ? "unknown" : phase);
    }
    List<ContainerStatus> containers = status.getContainerStatuses() == null ? List.of()
        : status.getContainerStatuses();
    for (ContainerStatus container : containers) {
      if (AgentContainer.NAME.equals(container.getName())) {
        return Boolean.TRUE.equals(container.getReady()) ? null : "agent not ready";
      }
    }
    return "no " + AgentContainer.NAME + " container";
  }

  private static String uid(Pod pod) {
    return pod.getMetadata().getUid();
  }

  private String selectorText() {
    return new TreeMap<>(selector).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
  }
}

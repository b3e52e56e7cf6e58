package io.devproxy.e2e.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.e2e.Jars;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small local stand-in for the Deployment and ReplicaSet controllers and a kubelet, for end-to-end tests against
 * fabric8's mock API server in CRUD mode, which has none of them. For the Deployments of one namespace it keeps
 * {@code spec.replicas} pods of the current pod template (a ReplicaSet {@code <deployment>-<pod-template-hash>}
 * per template, pods {@code <replicaset>-<n>}), rolls them over when the template changes, and runs them: the
 * {@value #AGENT_CONTAINER} container as a real {@code java -jar devproxy-traffic-agent.jar} process with the env,
 * command and args its spec says, and every other container through {@link AppContainers}, which the test supplies.
 * Pod, ReplicaSet and Deployment statuses are kept in the API as a cluster keeps them: Pending until the containers
 * run, then Running; Ready following each container's readiness probe. The kubelet part runs every pod of the
 * namespace that is bound to its node ({@value #NODE_NAME}) or to none, so a test may also create bare pods.
 *
 * <p>The liberties it takes, on top of running everything on one machine:
 * <ul>
 *   <li><b>One network.</b> Every pod shares the host's loopback network: its podIP and hostIP are
 *       {@code 127.0.0.1}, and {@link #podAddress} answers {@code 127.0.0.1:port}. Two pods that declare the same
 *       container port cannot run at once: the later one waits (Pending) until the other is gone, and a rollout
 *       whose new pod waits for an old pod's port deletes that old pod first (a replacement instead of a surge).
 *   <li><b>Mount paths.</b> A process cannot mount at {@code /etc/devproxy/tls}: each volume is a directory under
 *       {@code <workDir>/pods/<pod>/volumes/<volume>} (Secret and ConfigMap volumes laid out and updated as a
 *       kubelet does, with a {@code ..data} symlink swap), and env values and arguments that start with a mount
 *       path (or have it right after an {@code =}) are rewritten to that directory.
 *   <li><b>Images.</b> Only the agent's image is known: the built jar stands for it, run with the test JVM's java,
 *       the image's {@code jvm.options} and its memory limit as {@code -XX:MaxRAM}, and an environment of only
 *       {@code PATH}, {@code HOSTNAME} and the container's env (nothing of the test JVM's). Every other container
 *       is whatever {@link AppContainers} starts.
 *   <li><b>Time.</b> A pass every {@value #PASS_MILLIS} ms; readiness probes run on every pass whatever their
 *       period; a crashed agent restarts after 1 s doubling up to 10 s; stopped processes get 5 s after SIGTERM.
 * </ul>
 * Not modelled: liveness and startup probes, init containers, exec/grpc probes (they pass), securityContext,
 * resource enforcement, service environment variables, {@code maxSurge}/{@code maxUnavailable}/{@code paused},
 * StatefulSets. A container whose env refers to a missing Secret or ConfigMap key waits with
 * CreateContainerConfigError, and a pod whose Secret volume's Secret is missing stays Pending, as in a cluster.
 *
 * <p>Each agent's stdout and stderr go to {@link #agentLog}; {@link #describe()} says what every pod is doing and
 * shows the end of each agent log, for failure messages.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} (idempotent) stops the passes and every process and app
 * stand-in, and deletes the pods it ran; a JVM shutdown hook kills the agent processes of a stand-in never closed.
 * Does not own the {@link KubernetesClient}: close the stand-in before the client and the mock server. Thread-safe;
 * all the work happens on one thread, {@code kubelet-stand-in[<namespace>]}, which also calls {@link AppContainers}.
 */
public final class KubeletStandIn implements AutoCloseable {

  /** The container run as the traffic agent's process. */
  public static final String AGENT_CONTAINER = "devproxy-agent";
  /** The node the stand-in's pods are bound to ({@code spec.nodeName}). */
  public static final String NODE_NAME = "kubelet-stand-in";
  /** The address of every pod, and of the node. */
  public static final String POD_IP = "127.0.0.1";
  static final long PASS_MILLIS = 200;

  private static final Logger logger = Logger.getLogger(KubeletStandIn.class.getName());
  private static final int LOG_TAIL_LINES = 25;

  /** Starts what stands in for a container other than the agent. */
  @FunctionalInterface
  public interface AppContainers {

    /**
     * Starts what serves {@code container}, e.g. a {@code RestServer} on the port the container declares. Called on
     * the stand-in's thread each time the container starts; an exception is the container's RunContainerError (it
     * is tried again after a back-off).
     *
     * @param env the container's resolved environment, mount paths rewritten
     * @return closed when the pod stops; not null
     */
    AutoCloseable start(Container container, Map<String, String> env) throws Exception;
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Path workDir;
  private final Kubelet kubelet;
  private final DeploymentController deployments;
  private final ReplicaSetController replicaSets;
  private final ScheduledExecutorService thread;
  private volatile boolean started;
  private volatile boolean closed;
  /** The last failure of each part of a pass, on the pass thread only. */
  private final Map<String, String> lastFailures = new HashMap<>();

  /**
   * @param client a client of the mock API server; not closed by this
   * @param namespace the namespace whose Deployments and pods this runs
   * @param workDir where pods' volumes and agent logs go (a test's {@code @TempDir})
   * @param apps starts the stand-ins of containers other than the agent
   */
  public KubeletStandIn(KubernetesClient client, String namespace, Path workDir, AppContainers apps) {
    this.client = requireNonNull(client, "client");
    this.namespace = requireNonNull(namespace, "namespace");
    this.workDir = requireNonNull(workDir, "workDir").toAbsolutePath();
    requireNonNull(apps, "apps");
    this.kubelet = new Kubelet(client, namespace, this.workDir, POD_IP,
        new AgentImage(Jars.java(), Jars.AGENT, Jars.AGENT_JVM_OPTIONS), apps);
    this.deployments = new DeploymentController(client, namespace, kubelet);
    this.replicaSets = new ReplicaSetController(client, namespace);
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kubelet-stand-in[" + namespace + "]");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the passes: every {@value #PASS_MILLIS} ms, the controllers then the kubelet.
   *
   * @throws IllegalStateException if started before or closed
   * @throws IllegalArgumentException if the agent jar is not built
   */
  public synchronized KubeletStandIn start() {
    if (closed || started) {
      throw new IllegalStateException(closed ? "closed" : "already started");
    }
    if (!Files.isRegularFile(Jars.AGENT)) {
      throw new IllegalArgumentException("agent jar: " + Jars.AGENT + " (expected: built; run ./mvnw -o -q install"
          + " -DskipTests first, or build the e2e module with -am)");
    }
    started = true;
    thread.scheduleWithFixedDelay(this::pass, 0, PASS_MILLIS, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Where {@code pod}'s {@code port} is reached: {@code 127.0.0.1:port} while the pod runs a container that declares
   * that port, else null (another namespace, an unknown or stopped pod, an undeclared port). For a port-forward
   * stand-in. Thread-safe.
   */
  public InetSocketAddress podAddress(String namespace, String pod, int port) {
    if (!this.namespace.equals(namespace) || !kubelet.serves(pod, port)) {
      return null;
    }
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** The pods of {@code deployment} in the API, oldest first. Thread-safe. */
  public List<Pod> pods(String deployment) {
    requireNonNull(deployment, "deployment");
    return client.pods().inNamespace(namespace).list().getItems().stream()
        .filter(p -> ownedBy(p, deployment))
        .sorted(replicaSets.creationOrder())
        .toList();
  }

  /**
   * The file {@code pod}'s agent writes its stdout and stderr to (appended across restarts); it stays after the pod
   * is gone. Null when the stand-in never ran that pod or the pod has no agent.
   */
  public Path agentLog(String pod) {
    return kubelet.agentLog(pod);
  }

  /** {@code pod}'s running agent process; empty when it does not run (not yet, between restarts, or stopped). */
  public Optional<ProcessHandle> agentProcess(String pod) {
    return kubelet.agentProcess(pod);
  }

  /** Names of the pods the kubelet runs or waits to run. */
  public Set<String> runningPods() {
    return kubelet.podNames();
  }

  /** What every pod is doing, the pods in the API, and the end of every agent log: for assertion messages. */
  public String describe() {
    StringBuilder text = new StringBuilder("kubelet stand-in for namespace ").append(namespace).append(" (work dir ")
        .append(workDir).append(")\n");
    try {
      for (Pod p : client.pods().inNamespace(namespace).list().getItems()) {
        text.append("  API: pod ").append(p.getMetadata().getName()).append(' ')
            .append(p.getStatus() == null ? "no status" : p.getStatus().getPhase())
            .append(Controllers.ready(p) ? ", Ready" : ", not Ready").append('\n');
      }
    } catch (KubernetesClientException e) {
      text.append("  API: cannot list pods: ").append(e.getMessage()).append('\n');
    }
    text.append(kubelet.describe());
    for (String pod : kubelet.podNames()) {
      appendLogTail(text, pod);
    }
    return text.toString();
  }

  /**
   * Stops the passes, then every agent process (SIGTERM, SIGKILL after 5 s) and app stand-in, and deletes the pods
   * it ran from the API (best effort: the mock may be gone). Returns when the processes are gone. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        logger.warning("[" + namespace + "] the kubelet stand-in's pass did not finish in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Set<String> pods = kubelet.podNames();
    kubelet.stopAll();
    for (String pod : pods) {
      try {
        client.pods().inNamespace(namespace).withName(pod).delete();
      } catch (KubernetesClientException e) {
        logger.log(Level.FINE, "[" + namespace + "/" + pod + "] not deleted on close", e);
      }
    }
  }

  private void pass() {
    if (closed) {
      return;
    }
    Snapshot view;
    try {
      view = Snapshot.read(client, namespace);
    } catch (RuntimeException e) {
      failed("listing", e);
      return;
    }
    // Each part on its own: a controller's failure must not keep the kubelet from stopping or starting pods.
    run("deployment controller", () -> deployments.reconcile(view));
    run("replicaset controller", () -> replicaSets.reconcile(view));
    run("kubelet", () -> kubelet.sync(view.pods));
  }

  private void run(String part, Runnable step) {
    try {
      step.run();
      lastFailures.remove(part);
    } catch (RuntimeException | Error e) {
      // An Error too (an AssertionError from an AppContainers callback): it would end the schedule silently.
      failed(part, e);
    }
  }

  private void failed(String part, Throwable e) {
    if (closed) {
      return;
    }
    // One warning per distinct failure, not one every pass.
    String failure = e.toString();
    if (!failure.equals(lastFailures.put(part, failure))) {
      logger.log(Level.WARNING, "[" + namespace + "] kubelet stand-in: " + part + " failed; retrying", e);
    }
  }

  private static boolean ownedBy(Pod pod, String deployment) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String hash = labels == null ? null : labels.get(DeploymentController.HASH_LABEL);
    return hash != null && pod.getMetadata().getOwnerReferences() != null
        && pod.getMetadata().getOwnerReferences().stream().anyMatch(o -> "ReplicaSet".equals(o.getKind())
            && Boolean.TRUE.equals(o.getController()) && (deployment + "-" + hash).equals(o.getName()));
  }

  private void appendLogTail(StringBuilder text, String pod) {
    Path log = kubelet.agentLog(pod);
    if (log == null || !Files.exists(log)) {
      return;
    }
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      text.append("  --- last lines of ").append(log).append('\n');
      lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())
          .forEach(l -> text.append("    ").append(l).append('\n'));
    } catch (IOException e) {
      text.append("  cannot read ").append(log).append(": ").append(e).append('\n');
    }
  }
}

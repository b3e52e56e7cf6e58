package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Waits until a workload's pods run the devproxy agent and are ready, after {@code devproxy intercept} put the
 * agent into its pod template (sidecar and swap mode) or created it (shadow mode).
 *
 * <p>Polls every {@value #DEFAULT_POLL_MILLIS} ms: reads the workload (its selector and replicas may change
 * meanwhile, e.g. by an autoscaler), lists its pods, and reports a progress line whenever the counts change. Done
 * when as many pods as the workload wants have the agent container of the current template, are Running, not
 * terminating and Ready, and no pod without it is still running (the old ReplicaSet's pods). A pod that cannot
 * get there by itself (image pull, crash loop, missing config, unschedulable for
 * {@value #DEFAULT_UNSCHEDULABLE_GRACE_SECONDS} s without a cluster-autoscaler scale-up) fails the wait at once,
 * and so does a workload that cannot roll out (deleted, 0 replicas, paused, pods rejected by a quota or admission,
 * a StatefulSet that replaces pods only on delete).
 *
 * <p>RBAC in the namespace: get on the workload's resource ({@code deployments.apps}, {@code statefulsets.apps}
 * or {@code replicasets.apps}), list on {@code pods} and {@code events}. Thread-safe: every {@link #await} keeps
 * its own state. Does not own the client: whoever passed it in closes it. Starts no threads.
 */
public final class RolloutWatch {

  static final long DEFAULT_POLL_MILLIS = 500;
  static final long DEFAULT_UNSCHEDULABLE_GRACE_SECONDS = 15;
  /** Events by which the cluster autoscaler (TriggeredScaleUp) or Karpenter (Nominated) say a node is coming. */
  private static final Set<String> NODE_COMING = Set.of("TriggeredScaleUp", "Nominated");

  private final KubernetesClient client;
  private final Duration poll;
  private final Duration unschedulableGrace;

  /** Polls every {@value #DEFAULT_POLL_MILLIS} ms. */
  public RolloutWatch(KubernetesClient client) {
    this(client, Duration.ofMillis(DEFAULT_POLL_MILLIS), Duration.ofSeconds(DEFAULT_UNSCHEDULABLE_GRACE_SECONDS));
  }

  /**
   * @param poll time between two polls
   * @param unschedulableGrace how long a pod may stay unschedulable (without a node being added) before the wait
   *     fails; the scheduler reports Unschedulable for a moment while old pods still hold the resources
   */
  RolloutWatch(KubernetesClient client, Duration poll, Duration unschedulableGrace) {
    this.client = requireNonNull(client, "client");
    this.poll = requireNonNull(poll, "poll");
    this.unschedulableGrace = requireNonNull(unschedulableGrace, "unschedulableGrace");
    if (poll.isNegative() || poll.isZero()) {
      throw new IllegalArgumentException("poll: " + poll + " (expected: > 0)");
    }
  }

  /**
   * Blocks until the rollout of the agent into {@code workloadKind/workloadName} is done.
   *
   * @param workloadKind "Deployment", "StatefulSet" or "ReplicaSet"
   * @param timeout how long to wait in all; at least one poll happens even when it is zero
   * @param progress gets a line such as {@code deployment/orders: 1/2 pods ready with the agent (1 old pod
   *     terminating)} on the calling thread, first at once and then whenever it changes
   * @throws DevproxyException USER when the workload is missing, deleted, has no agent in its template any more, has
   *     0 replicas, is paused, or is a StatefulSet with OnDelete updates and pods without the agent; CLUSTER when a
   *     pod fails (see the class comment), the API refuses a call, or the timeout passes
   * @throws InterruptedException when the calling thread is interrupted; nothing in the cluster is changed
   */
  public void await(String namespace, String workloadKind, String workloadName, Duration timeout,
      Consumer<String> progress) throws DevproxyException, InterruptedException {
    requireNonNull(namespace, "namespace");
    requireNonNull(workloadName, "workloadName");
    requireNonNull(timeout, "timeout");
    requireNonNull(progress, "progress");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
    }
    new Attempt(namespace, RolloutSpec.Kind.of(workloadKind), workloadName, progress).run(timeout);
  }

  /**
   * Whether {@code pod} is not terminating, Running, and its {@value AgentContainer#NAME} container is ready: the
   * agent can take a tunnel, whatever the app container does.
   */
  public static boolean agentReady(Pod pod) {
    if (terminating(pod) || pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
      return false;
    }
    return Stream.concat(orEmpty(pod.getStatus().getContainerStatuses()).stream(),
            orEmpty(pod.getStatus().getInitContainerStatuses()).stream())
        .anyMatch(s -> AgentContainer.NAME.equals(s.getName()) && Boolean.TRUE.equals(s.getReady()));
  }

  /** The state of one {@link #await} call. */
  private final class Attempt {
    private final String namespace;
    private final RolloutSpec.Kind kind;
    private final String name;
    private final Consumer<String> progress;
    private final Map<String, Long> unschedulableSince = new HashMap<>();
    private final Set<String> waitingForNode = new HashSet<>();
    private String lastLine;
    private boolean seen;

    Attempt(String namespace, RolloutSpec.Kind kind, String name, Consumer<String> progress) {
      this.namespace = namespace;
      this.kind = kind;
      this.name = name;
      this.progress = progress;
    }

    void run(Duration timeout) throws DevproxyException, InterruptedException {
      long start = System.nanoTime();
      while (true) {
        Counts counts;
        try {
          counts = poll();
        } catch (DevproxyException e) {
          // fabric8 turns an interrupt during a call into an exception and sets the flag again.
          if (Thread.interrupted()) {
            InterruptedException interrupted = new InterruptedException("interrupted while waiting for " + this);
            interrupted.addSuppressed(e);
            throw interrupted;
          }
          throw e;
        }
        if (counts.done()) {
          return;
        }
        long left = timeout.toNanos() - (System.nanoTime() - start);
        if (left <= 0) {
          throw timedOut(timeout, counts);
        }
        TimeUnit.NANOSECONDS.sleep(Math.min(poll.toNanos(), left));
      }
    }

    private Counts poll() throws DevproxyException {
      RolloutSpec spec = RolloutSpec.read(client, kind, namespace, name);
      if (spec == null) {
        throw new DevproxyException(ErrorCategory.USER, this + (seen ? " was deleted from namespace " + namespace
            + " while devproxy waited for its pods" : " not found in namespace " + namespace)
            + "; run the intercept again");
      }
      seen = true;
      if (spec.agentImage() == null) {
        throw new DevproxyException(ErrorCategory.USER, this + " has no " + AgentContainer.NAME + " container in"
            + " its pod template any more (it was restored or changed meanwhile); run the intercept again");
      }
      if (spec.replicas() == 0) {
        throw new DevproxyException(ErrorCategory.USER, this + " has 0 replicas; scale it up (kubectl -n "
            + namespace + " scale " + this + " --replicas=1) and run the command again");
      }
      if (spec.paused()) {
        throw new DevproxyException(ErrorCategory.USER, this + " is paused, so its pods do not get the agent;"
            + " resume it (kubectl -n " + namespace + " rollout resume " + this + ") and run the command again");
      }
      if (spec.replicaFailure() != null) {
        throw new DevproxyException(ErrorCategory.CLUSTER, this + " cannot create its pods: "
            + KubeClients.oneLine(spec.replicaFailure()) + "; fix what it names (a ResourceQuota, LimitRange or"
            + " Pod Security admission; the agent adds its own resource requests) and run the command again");
      }
      List<Pod> pods = KubeCalls.call("list", "pods", namespace, () -> client.pods().inNamespace(namespace)
          .withLabelSelector(spec.selector()).list().getItems());
      Counts counts = new Counts(spec.replicas());
      long now = System.nanoTime();
      for (Pod pod : pods.stream().filter(spec::owns)
          .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList()) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
          continue; // e.g. evicted: stays listed, runs nothing, the controller made a replacement
        }
        if (terminating(pod)) {
          counts.terminating++;
        } else if (!spec.runsCurrentAgent(pod)) {
          counts.old.add(pod.getMetadata().getName());
        } else if (agentReady(pod) && podReady(pod)) {
          counts.ready++;
        } else {
          counts.starting.add(pod.getMetadata().getName());
          DevproxyException failure = PodFailures.containerFailure(client, namespace, pod);
          if (failure != null) {
            throw failure;
          }
          checkScheduling(pod, now);
        }
      }
      unschedulableSince.keySet().retainAll(counts.starting);
      waitingForNode.retainAll(counts.starting);
      counts.waitingForNode = waitingForNode.size();
      if (spec.onDelete() && !counts.old.isEmpty()) {
        throw new DevproxyException(ErrorCategory.USER, this + " replaces its pods only when they are deleted"
            + " (updateStrategy OnDelete); delete them (kubectl -n " + namespace + " delete pod "
            + String.join(" ", counts.old) + ") and run the command again");
      }
      String line = this + ": " + counts;
      if (!line.equals(lastLine)) {
        lastLine = line;
        progress.accept(line);
      }
      return counts;
    }

    private void checkScheduling(Pod pod, long now) throws DevproxyException {
      String podName = pod.getMetadata().getName();
      String message = PodFailures.unschedulable(pod);
      if (message == null) {
        unschedulableSince.remove(podName);
        waitingForNode.remove(podName);
        return;
      }
      long since = unschedulableSince.computeIfAbsent(podName, n -> now);
      if (now - since < unschedulableGrace.toNanos()) {
        return;
      }
      boolean nodeComing = PodEvents.first(PodEvents.newestFirst(client, namespace, podName),
          e -> NODE_COMING.contains(e.getReason()) || "NotTriggerScaleUp".equals(e.getReason()))
          .filter(e -> NODE_COMING.contains(e.getReason()))
          .isPresent();
      if (!nodeComing) {
        throw PodFailures.unschedulableFailure(namespace, pod, message);
      }
      // A node is being added: ask again after another grace period.
      waitingForNode.add(podName);
      unschedulableSince.put(podName, now);
    }

    private DevproxyException timedOut(Duration timeout, Counts counts) {
      String pod = !counts.starting.isEmpty() ? counts.starting.get(0)
          : !counts.old.isEmpty() ? counts.old.get(0) : null;
      String event = "";
      if (pod != null) {
        try {
          event = PodEvents.first(PodEvents.newestFirst(client, namespace, pod), PodEvents::isWarning)
              .map(e -> "; pod " + pod + ": " + KubeClients.oneLine(e.getMessage())).orElse("");
        } catch (DevproxyException e) {
          // Only a hint: the timeout is the news.
        }
      }
      return new DevproxyException(ErrorCategory.CLUSTER, "the rollout of " + this + " did not finish within "
          + seconds(timeout) + " (" + counts.headline() + event + "); see 'kubectl -n " + namespace + " describe "
          + (pod == null ? this : "pod " + pod) + "'; raise --timeout to wait longer");
    }

    @Override
    public String toString() {
      return kind.display + "/" + name;
    }
  }

  /** What one poll found among the workload's pods. */
  private static final class Counts {
    final int desired;
    int ready;
    final List<String> starting = new ArrayList<>();
    final List<String> old = new ArrayList<>();
    int terminating;
    int waitingForNode;

    Counts(int desired) {
      this.desired = desired;
    }

    boolean done() {
      return ready >= desired && old.isEmpty();
    }

    String headline() {
      return ready + "/" + desired + " pods ready with the agent";
    }

    @Override
    public String toString() {
      List<String> parts = new ArrayList<>();
      if (starting.size() > waitingForNode) {
        parts.add(starting.size() - waitingForNode + " starting");
      }
      if (waitingForNode > 0) {
        parts.add(waitingForNode + " waiting for a new node");
      }
      if (!old.isEmpty()) {
        parts.add(old.size() + (old.size() == 1 ? " old pod" : " old pods") + " running");
      }
      if (terminating > 0) {
        parts.add(terminating + (terminating == 1 ? " old pod" : " old pods") + " terminating");
      }
      return headline() + (parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")");
    }
  }

  private static boolean terminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  private static boolean podReady(Pod pod) {
    return pod.getStatus() != null && orEmpty(pod.getStatus().getConditions()).stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}

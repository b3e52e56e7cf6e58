package io.devproxy.daemon.kube;

import static io.devproxy.daemon.kube.KubeFixtures.container;
import static io.devproxy.daemon.kube.KubeFixtures.deployment;
import static io.devproxy.daemon.kube.KubeFixtures.port;
import static io.devproxy.daemon.kube.KubeFixtures.statefulSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventListBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class RolloutWatchTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final Map<String, String> APP = Map.of("app", "orders");
  private static final String AGENT_IMAGE = "ghcr.io/devproxy/agent:1.0";
  private static final Duration GRACE = Duration.ofMillis(200);

  private final RolloutWatch watch = new RolloutWatch(client, Duration.ofMillis(20), GRACE);
  private final List<String> progress = new CopyOnWriteArrayList<>();
  private final ExecutorService background = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopBackground() throws InterruptedException {
    background.shutdownNow();
    assertThat(background.awaitTermination(5, TimeUnit.SECONDS)).as("background thread ended").isTrue();
  }

  @Test
  void doneAtOnceWhenEveryPodRunsTheReadyAgent() throws Exception {
    createDeployment("ready", 2);
    create(agentPod("ready", "orders-new-1", ready()), agentPod("ready", "orders-new-2", ready()));

    watch.await("ready", "Deployment", "orders", Duration.ofSeconds(5), progress::add);

    assertThat(progress).containsExactly("deployment/orders: 2/2 pods ready with the agent");
  }

  @Test
  void reportsEachChangeUntilTheOldPodsAreGone() throws Exception {
    createDeployment("progress", 2);
    create(oldPod("progress", "orders-old-1", true), oldPod("progress", "orders-old-2", false),
        agentPod("progress", "orders-new-1", starting()));
    String prefix = "deployment/orders: ";
    Future<?> cluster = background.submit(() -> {
      step(prefix + "0/2 pods ready with the agent (1 starting, 2 old pods running)",
          () -> setStatus("progress", "orders-new-1", ready()));
      step(prefix + "1/2 pods ready with the agent (2 old pods running)",
          () -> client.pods().inNamespace("progress").withName("orders-old-1").delete());
      step(prefix + "1/2 pods ready with the agent (1 old pod running, 1 old pod terminating)",
          () -> create(agentPod("progress", "orders-new-2", starting())));
      step(prefix + "1/2 pods ready with the agent (1 starting, 1 old pod running, 1 old pod terminating)",
          () -> setStatus("progress", "orders-new-2", ready()));
      step(prefix + "2/2 pods ready with the agent (1 old pod running, 1 old pod terminating)",
          () -> client.pods().inNamespace("progress").withName("orders-old-2").delete());
      return null;
    });

    watch.await("progress", "Deployment", "orders", Duration.ofSeconds(10), progress::add);

    cluster.get(5, TimeUnit.SECONDS);
    assertThat(progress).containsExactly(
        prefix + "0/2 pods ready with the agent (1 starting, 2 old pods running)",
        prefix + "1/2 pods ready with the agent (2 old pods running)",
        prefix + "1/2 pods ready with the agent (1 old pod running, 1 old pod terminating)",
        prefix + "1/2 pods ready with the agent (1 starting, 1 old pod running, 1 old pod terminating)",
        prefix + "2/2 pods ready with the agent (1 old pod running, 1 old pod terminating)",
        prefix + "2/2 pods ready with the agent (1 old pod terminating)");
  }

  @Test
  void podsOfAnotherWorkloadWithTheSameLabelsDoNotCount() throws Exception {
    createDeployment("owners", 1);
    // A shadow-mode copy's pod: same labels, ready agent, but its ReplicaSet belongs to orders-devproxy-k1.
    Pod shadow = agentPod("owners", "orders-devproxy-k1-new-1", ready());
    shadow.getMetadata().getOwnerReferences().get(0).setName("orders-devproxy-k1-new");
    Pod bare = agentPod("owners", "debug", ready());
    bare.getMetadata().setOwnerReferences(List.of());
    create(shadow, bare);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("owners", "Deployment", "orders", Duration.ofMillis(200), progress::add));

    assertThat(e.getMessage()).isEqualTo("the rollout of deployment/orders did not finish within 200 ms"
        + " (0/1 pods ready with the agent); see 'kubectl -n owners describe deployment/orders'; raise --timeout to"
        + " wait longer");
  }

  @Test
  void podWithAnEarlierAgentImageIsAnOldPod() throws Exception {
    createDeployment("upgrade", 1);
    Pod earlier = agentPod("upgrade", "orders-prev-1", ready());
    earlier.getSpec().getContainers().get(1).setImage("ghcr.io/devproxy/agent:0.9");
    create(earlier, agentPod("upgrade", "orders-new-1", ready()));
    Future<?> cluster = background.submit(() -> {
      step("deployment/orders: 1/1 pods ready with the agent (1 old pod running)",
          () -> client.pods().inNamespace("upgrade").withName("orders-prev-1").delete());
      return null;
    });

    watch.await("upgrade", "Deployment", "orders", Duration.ofSeconds(10), progress::add);

    cluster.get(5, TimeUnit.SECONDS);
    assertThat(progress).containsExactly("deployment/orders: 1/1 pods ready with the agent (1 old pod running)",
        "deployment/orders: 1/1 pods ready with the agent");
  }

  @Test
  void agentImagePullErrorFailsAtOnceWithTheStatusMessage() {
    createDeployment("pull", 1);
    create(agentPod("pull", "orders-new-1", waiting("ErrImagePull", "rpc error: code = NotFound desc = failed to"
        + " pull and unpack image \"" + AGENT_IMAGE + "\": not found")));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("pull", "Deployment", "orders", Duration.ofSeconds(30), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo("the agent image " + AGENT_IMAGE + " cannot be pulled on pod orders-new-1:"
        + " rpc error: code = NotFound desc = failed to pull and unpack image \"" + AGENT_IMAGE + "\": not found;"
        + " check --agent-image and the registry credentials (imagePullSecrets)");
  }

  @Test
  void imagePullBackOffTakesTheReasonFromTheNewestWarningEvent() {
    createDeployment("backoff", 1);
    create(agentPod("backoff", "orders-new-1",
        waiting("ImagePullBackOff", "Back-off pulling image \"" + AGENT_IMAGE + "\"")));
    // The CRUD mock cannot select events by involvedObject.name; answer that query as the API server would,
    // plus an event about another pod, which must be filtered out.
    server.expect().get().withPath("/api/v1/namespaces/backoff/events?fieldSelector=involvedObject.name%3Dorders-new-1")
        .andReturn(200, new EventListBuilder().withItems(
            event("backoff", "orders-new-1", "Warning", "Failed", "2025-01-01T10:00:00Z",
                "Failed to pull image \"" + AGENT_IMAGE + "\": older error"),
            event("backoff", "orders-new-1", "Warning", "Failed", "2025-01-01T10:00:30Z",
                "Failed to pull image \"" + AGENT_IMAGE + "\": 401 Unauthorized"),
            event("backoff", "orders-new-1", "Normal", "Pulling", "2025-01-01T10:00:40Z",
                "Pulling image \"" + AGENT_IMAGE + "\""),
            event("backoff", "orders-other", "Warning", "Failed", "2025-01-01T10:00:50Z", "someone else's"))
            .build())
        .always();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("backoff", "Deployment", "orders", Duration.ofSeconds(30), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo("the agent image " + AGENT_IMAGE + " cannot be pulled on pod orders-new-1:"
        + " Failed to pull image \"" + AGENT_IMAGE + "\": 401 Unauthorized; check --agent-image and the registry"
        + " credentials (imagePullSecrets)");
  }

  @Test
  void crashLoopingAgentFailsWithItsExitAndTheLogsCommand() {
    createDeployment("crash", 1);
    ContainerStatus agent = new ContainerStatusBuilder().withName(AgentContainer.NAME).withReady(false)
        .withRestartCount(3)
        .withNewState().withNewWaiting().withReason("CrashLoopBackOff")
            .withMessage("back-off 40s restarting failed container").endWaiting().endState()
        .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error")
            .withMessage("listen tcp :15000: bind: address already in use\n").endTerminated().endLastState()
        .build();
    create(agentPod("crash", "orders-new-1", status("Running", false, appStatus(true), agent)));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("crash", "Deployment", "orders", Duration.ofSeconds(30), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo("the agent on pod orders-new-1 keeps crashing (restarted 3 times; last exit"
        + " code 1, Error: listen tcp :15000: bind: address already in use); see 'kubectl -n crash logs orders-new-1"
        + " -c devproxy-agent --previous'");
  }

  @Test
  void agentFailingTwiceFailsBeforeTheKubeletBacksOff() {
    createDeployment("oom", 1);
    ContainerStatus agent = new ContainerStatusBuilder().withName(AgentContainer.NAME).withReady(false)
        .withRestartCount(2)
        .withNewState().withNewRunning().withStartedAt("2025-01-01T10:00:00Z").endRunning().endState()
        .withNewLastState().withNewTerminated().withExitCode(137).withReason("OOMKilled").endTerminated()
            .endLastState()
        .build();
    create(agentPod("oom", "orders-new-1", status("Running", false, appStatus(true), agent)));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("oom", "Deployment", "orders", Duration.ofSeconds(30), progress::add));

    assertThat(e.getMessage()).isEqualTo("the agent on pod orders-new-1 keeps crashing (restarted 2 times; last exit"
        + " code 137, OOMKilled); see 'kubectl -n oom logs orders-new-1 -c devproxy-agent --previous'");
  }

  @Test
  void appContainerCrashingOnceIsWaitedFor() {
    createDeployment("flaky", 1);
    ContainerStatus app = new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(1)
        .withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState()
        .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").endTerminated().endLastState()
        .build();
    create(agentPod("flaky", "orders-new-1", status("Running", false, app, agentStatus(true))));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("flaky", "Deployment", "orders", Duration.ofMillis(300), progress::add));

    assertThat(e.getMessage()).startsWith("the rollout of deployment/orders did not finish within 300 ms");
  }

  @Test
  void missingSecretInTheContainerConfigFailsAtOnce() {
    createDeployment("config", 1);
    create(agentPod("config", "orders-new-1", waiting("CreateContainerConfigError",
        "secret \"orders-db\" not found")));

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("config", "Deployment", "orders", Duration.ofSeconds(30), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo("pod orders-new-1 cannot start container devproxy-agent: secret"
        + " \"orders-db\" not found; create what it refers to or fix the reference (kubectl -n config describe pod"
        + " orders-new-1)");
  }

  @Test
  void podUnschedulableForLongerThanTheGraceFails() {
    createDeployment("unsched", 1);
    create(agentPod("unsched", "orders-new-1", unschedulable()));
    long start = System.nanoTime();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("unsched", "Deployment", "orders", Duration.ofSeconds(30), progress::add));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(GRACE)
        .isLessThan(Duration.ofSeconds(5));
    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo("pod orders-new-1 cannot be scheduled: 0/3 nodes are available: 3"
        + " Insufficient cpu.; free resources in the cluster or lower the pod's resource requests (the agent adds its"
        + " own) (kubectl -n unsched describe pod orders-new-1)");
  }

  @Test
  void unschedulablePodWaitsWhileTheAutoscalerAddsANode() {
    createDeployment("scaleup", 1);
    create(agentPod("scaleup", "orders-new-1", unschedulable()));
    server.expect().get().withPath("/api/v1/namespaces/scaleup/events?fieldSelector=involvedObject.name%3Dorders-new-1")
        .andReturn(200, new EventListBuilder().withItems(
            event("scaleup", "orders-new-1", "Warning", "FailedScheduling", "2025-01-01T10:00:00Z",
                "0/3 nodes are available: 3 Insufficient cpu."),
            event("scaleup", "orders-new-1", "Normal", "TriggeredScaleUp", "2025-01-01T10:00:01Z",
                "pod triggered scale-up: [{pool-1 3->4 (max: 6)}]"))
            .build())
        .always();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("scaleup", "Deployment", "orders", Duration.ofMillis(700), progress::add));

    assertThat(progress).containsExactly("deployment/orders: 0/1 pods ready with the agent (1 starting)",
        "deployment/orders: 0/1 pods ready with the agent (1 waiting for a new node)");
    assertThat(e.getMessage()).startsWith("the rollout of deployment/orders did not finish within 700 ms (0/1 pods"
        + " ready with the agent; pod orders-new-1: 0/3 nodes are available: 3 Insufficient cpu.); see");
  }

  @Test
  void timeoutNamesTheCountsThePodAndItsLastWarning() {
    createDeployment("timeout", 2);
    create(agentPod("timeout", "orders-new-1", ready()),
        agentPod("timeout", "orders-new-2", status("Running", false, appStatus(true), agentStatus(false))));
    server.expect().get().withPath("/api/v1/namespaces/timeout/events?fieldSelector=involvedObject.name%3Dorders-new-2")
        .andReturn(200, new EventListBuilder().withItems(
            event("timeout", "orders-new-2", "Warning", "Unhealthy", "2025-01-01T10:00:00Z",
                "Readiness probe failed: HTTP probe failed with statuscode: 503"))
            .build())
        .always();
    long start = System.nanoTime();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("timeout", "Deployment", "orders", Duration.ofSeconds(1), progress::add));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(3));
    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).isEqualTo("the rollout of deployment/orders did not finish within 1 s (1/2 pods"
        + " ready with the agent; pod orders-new-2: Readiness probe failed: HTTP probe failed with statuscode: 503);"
        + " see 'kubectl -n timeout describe pod orders-new-2'; raise --timeout to wait longer");
    assertThat(progress).containsExactly("deployment/orders: 1/2 pods ready with the agent (1 starting)");
  }

  @Test
  void zeroReplicasIsAUserError() {
    createDeployment("zero", 0);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("zero", "Deployment", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("deployment/orders has 0 replicas; scale it up (kubectl -n zero scale"
        + " deployment/orders --replicas=1) and run the command again");
  }

  @Test
  void pausedDeploymentIsAUserError() {
    client.resource(new DeploymentBuilder(injectedDeployment("paused", 1)).editSpec().withPaused(true).endSpec()
        .build()).create();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("paused", "Deployment", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("deployment/orders is paused, so its pods do not get the agent; resume it"
        + " (kubectl -n paused rollout resume deployment/orders) and run the command again");
  }

  @Test
  void quotaRejectingThePodsFailsFromTheDeploymentCondition() {
    Deployment d = createDeployment("quota", 1);
    d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration())
        .addNewCondition().withType("ReplicaFailure").withStatus("True").withReason("FailedCreate")
            .withMessage("pods \"orders-new-x1\" is forbidden: exceeded quota: compute, requested: cpu=100m,"
                + " used: cpu=2, limited: cpu=2").endCondition()
        .build());
    client.apps().deployments().resource(d).updateStatus();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("quota", "Deployment", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).startsWith("deployment/orders cannot create its pods: pods \"orders-new-x1\" is"
        + " forbidden: exceeded quota: compute, requested: cpu=100m, used: cpu=2, limited: cpu=2; fix what it names");
  }

  @Test
  void statefulSetPodsAreFollowedToo() throws Exception {
    StatefulSet sts = client.resource(new StatefulSetBuilder(statefulSet("sts", "orders", APP, app(), agent()))
        .build()).create();
    Pod pod = agentPod("sts", "orders-0", ready());
    pod.getMetadata().getLabels().remove("pod-template-hash");
    pod.getMetadata().getOwnerReferences().get(0).setKind("StatefulSet");
    pod.getMetadata().getOwnerReferences().get(0).setName("orders");
    pod.getMetadata().getOwnerReferences().get(0).setUid(sts.getMetadata().getUid());
    create(pod);

    watch.await("sts", "StatefulSet", "orders", Duration.ofSeconds(5), progress::add);

    assertThat(progress).containsExactly("statefulset/orders: 1/1 pods ready with the agent");
  }

  @Test
  void statefulSetWithOnDeleteUpdatesNamesThePodsToDelete() {
    StatefulSet sts = client.resource(new StatefulSetBuilder(statefulSet("ondelete", "orders", APP, app(), agent()))
        .editSpec().withNewUpdateStrategy().withType("OnDelete").endUpdateStrategy().endSpec().build()).create();
    Pod pod = oldPod("ondelete", "orders-0", false);
    pod.getMetadata().getOwnerReferences().get(0).setKind("StatefulSet");
    pod.getMetadata().getOwnerReferences().get(0).setName("orders");
    pod.getMetadata().getOwnerReferences().get(0).setUid(sts.getMetadata().getUid());
    create(pod);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("ondelete", "StatefulSet", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("statefulset/orders replaces its pods only when they are deleted"
        + " (updateStrategy OnDelete); delete them (kubectl -n ondelete delete pod orders-0) and run the command"
        + " again");
  }

  @Test
  void missingWorkloadIsAUserError() {
    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("missing", "Deployment", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("deployment/orders not found in namespace missing; run the intercept again");
  }

  @Test
  void workloadDeletedWhileWaitingIsAUserError() throws Exception {
    createDeployment("deleted", 1);
    create(agentPod("deleted", "orders-new-1", starting()));
    Future<?> cluster = background.submit(() -> {
      step("deployment/orders: 0/1 pods ready with the agent (1 starting)",
          () -> client.apps().deployments().inNamespace("deleted").withName("orders").delete());
      return null;
    });

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("deleted", "Deployment", "orders", Duration.ofSeconds(10), progress::add));

    cluster.get(5, TimeUnit.SECONDS);
    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).isEqualTo("deployment/orders was deleted from namespace deleted while devproxy waited"
        + " for its pods; run the intercept again");
  }

  @Test
  void templateWithoutTheAgentIsAUserError() {
    client.resource(deployment("restored", "orders", APP, app())).create();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("restored", "Deployment", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(e.getMessage()).startsWith("deployment/orders has no devproxy-agent container in its pod template");
  }

  @Test
  void forbiddenPodListNamesTheMissingPermission() {
    createDeployment("rbac", 1);
    server.expect().get().withPath("/api/v1/namespaces/rbac/pods?labelSelector=app%3Dorders")
        .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
            .withMessage("pods is forbidden").build())
        .always();

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> watch.await("rbac", "Deployment", "orders", Duration.ofSeconds(5), progress::add));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage())
        .isEqualTo("forbidden: list pods in namespace rbac; ask for the devproxy developer Role (devproxy rbac)");
  }

  @Test
  void interruptEndsTheWaitPromptly() throws Exception {
    createDeployment("interrupt", 1);
    create(agentPod("interrupt", "orders-new-1", starting()));
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Future<?> waiting = background.submit(() -> {
      try {
        watch.await("interrupt", "Deployment", "orders", Duration.ofSeconds(30), progress::add);
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> !progress.isEmpty());
    long start = System.nanoTime();

    waiting.cancel(true);

    await().atMost(Duration.ofSeconds(2)).until(() -> thrown.get() != null);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
  }

  @Test
  void interruptedAwaitThrowsInterruptedException() {
    createDeployment("interrupted", 1);
    create(agentPod("interrupted", "orders-new-1", starting()));
    Thread.currentThread().interrupt();

    assertThatThrownBy(
        () -> watch.await("interrupted", "Deployment", "orders", Duration.ofSeconds(30), progress::add))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).as("flag cleared, as InterruptedException promises").isFalse();
  }

  @Test
  void agentReadyNeedsARunningPodWithAReadyAgentThatIsNotTerminating() {
    assertThat(RolloutWatch.agentReady(agentPod("x", "a", ready()))).isTrue();
    assertThat(RolloutWatch.agentReady(agentPod("x", "a", status("Running", false, appStatus(false),
        agentStatus(true))))).as("app not ready").isTrue();
    assertThat(RolloutWatch.agentReady(agentPod("x", "a", status("Running", false, appStatus(true),
        agentStatus(false))))).as("agent not ready").isFalse();
    assertThat(RolloutWatch.agentReady(agentPod("x", "a", starting()))).as("pending").isFalse();
    assertThat(RolloutWatch.agentReady(oldPod("x", "a", false))).as("no agent").isFalse();
    Pod terminating = agentPod("x", "a", ready());
    terminating.getMetadata().setDeletionTimestamp("2025-01-01T10:00:00Z");
    assertThat(RolloutWatch.agentReady(terminating)).as("terminating").isFalse();
  }

  // --- the cluster ---

  /** Waits until the watch reported {@code line}, then changes the cluster once. */
  private void step(String line, Runnable change) {
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5))
        .until(() -> progress.contains(line));
    change.run();
  }

  private static Container app() {
    return container("app", port("http", 8080));
  }

  private static Container agent() {
    return new ContainerBuilder().withName(AgentContainer.NAME).withImage(AGENT_IMAGE).build();
  }

  private static Deployment injectedDeployment(String ns, int replicas) {
    return new DeploymentBuilder(deployment(ns, "orders", APP, app(), agent()))
        .editSpec().withReplicas(replicas).endSpec().build();
  }

  private static Deployment createDeployment(String ns, int replicas) {
    return client.resource(injectedDeployment(ns, replicas)).create();
  }

  private static void create(Pod... pods) {
    for (Pod p : pods) {
      client.resource(p).create();
    }
  }

  private static void setStatus(String ns, String name, PodStatus status) {
    Pod pod = client.pods().inNamespace(ns).withName(name).get();
    pod.setStatus(status);
    client.pods().resource(pod).updateStatus();
  }

  /** A pod of the Deployment's ReplicaSet {@code orders-<hash>}. */
  private static Pod pod(String ns, String name, String hash, PodStatus status, Container... containers) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).addToLabels(APP).addToLabels("pod-template-hash", hash)
            .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("orders-" + hash)
                .withUid("uid-rs-" + hash).withController(true).withBlockOwnerDeletion(true).endOwnerReference()
        .endMetadata()
        .withNewSpec().withContainers(containers).endSpec()
        .withStatus(status)
        .build();
  }

  private static Pod agentPod(String ns, String name, PodStatus status) {
    return pod(ns, name, "new", status, app(), agent());
  }

  /** A ready pod from before the agent; with a finalizer, deleting it leaves it terminating. */
  private static Pod oldPod(String ns, String name, boolean finalizer) {
    Pod pod = pod(ns, name, "old", status("Running", true, appStatus(true)), app());
    if (finalizer) {
      pod.getMetadata().setFinalizers(List.of("example.com/hold"));
    }
    return pod;
  }

  private static PodStatus ready() {
    return status("Running", true, appStatus(true), agentStatus(true));
  }

  private static PodStatus starting() {
    return waiting("ContainerCreating", null);
  }

  /** Pending, the agent waiting with {@code reason}. */
  private static PodStatus waiting(String reason, String message) {
    ContainerStatus agent = new ContainerStatusBuilder().withName(AgentContainer.NAME).withImage(AGENT_IMAGE)
        .withReady(false).withRestartCount(0)
        .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState().build();
    return status("Pending", false, appStatus(false), agent);
  }

  private static PodStatus unschedulable() {
    return new PodStatusBuilder().withPhase("Pending")
        .addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
            .withMessage("0/3 nodes are available: 3 Insufficient cpu.").endCondition()
        .build();
  }

  private static PodStatus status(String phase, boolean ready, ContainerStatus... containers) {
    return new PodStatusBuilder().withPhase(phase)
        .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .withContainerStatuses(new ArrayList<>(List.of(containers)))
        .build();
  }

  private static ContainerStatus appStatus(boolean ready) {
    return containerStatus("app", ready);
  }

  private static ContainerStatus agentStatus(boolean ready) {
    return containerStatus(AgentContainer.NAME, ready);
  }

  private static ContainerStatus containerStatus(String name, boolean ready) {
    return new ContainerStatusBuilder().withName(name).withReady(ready).withRestartCount(0)
        .withNewState().withNewRunning().withStartedAt("2025-01-01T10:00:00Z").endRunning().endState().build();
  }

  private static Event event(String ns, String pod, String type, String reason, String time, String message) {
    return new EventBuilder().withNewMetadata().withNamespace(ns).withName(pod + "." + reason + time.hashCode())
        .endMetadata()
        .withNewInvolvedObject().withKind("Pod").withNamespace(ns).withName(pod).endInvolvedObject()
        .withType(type).withReason(reason).withLastTimestamp(time).withMessage(message)
        .build();
  }
}

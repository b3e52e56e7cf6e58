package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One container of a pod: the traffic agent as a process whose output goes to a log file, or any other container
 * through {@link KubeletStandIn.AppContainers}. Like a kubelet with {@code restartPolicy: Always}, a process that
 * exits is started again after a back-off (1 s doubling to 10 s; a kubelet caps at 5 min).
 *
 * <p>The kubelet thread changes it; other threads read its state (fields are volatile).
 */
final class ContainerRuntime {

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private final Container spec;
  private final String pod;
  private final Path log;
  private final ReadinessProbe readiness;
  private volatile Process process;
  private volatile AutoCloseable app;
  private volatile boolean ready;
  private volatile boolean started;
  private volatile int restartCount;
  private volatile String waitingReason = "ContainerCreating";
  private volatile String waitingMessage;
  private volatile Instant startedAt;
  private volatile ContainerState lastState;
  private long nextStartNanos = System.nanoTime();
  private Duration backoff = Duration.ofSeconds(1);

  /** @param log where an agent process's stdout and stderr go; null for an app container */
  ContainerRuntime(Container spec, String pod, Path log, String host) {
    this.spec = spec;
    this.pod = pod;
    this.log = log;
    this.readiness = new ReadinessProbe(spec, host);
  }

  Container spec() {
    return spec;
  }

  String name() {
    return spec.getName();
  }

  /** Whether this container runs as a process (the agent), not through the app callback. */
  boolean isProcess() {
    return log != null;
  }

  Path log() {
    return log;
  }

  boolean running() {
    return process != null || app != null;
  }

  /** Whether it ever ran: the pod leaves Pending once every container did. */
  boolean started() {
    return started;
  }

  boolean ready() {
    return ready;
  }

  Optional<ProcessHandle> processHandle() {
    Process p = process;
    return p == null ? Optional.empty() : Optional.of(p.toHandle());
  }

  /** Whether it may be started now: not running and its back-off, if any, is over. */
  boolean mayStart() {
    return !running() && System.nanoTime() - nextStartNanos >= 0;
  }

  void startProcess(List<String> commandLine, Map<String, String> env, Path workDir) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(commandLine).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> processEnv = builder.environment();
    String path = processEnv.get("PATH");
    processEnv.clear();
    if (path != null) {
      processEnv.put("PATH", path);
    }
    processEnv.put("HOSTNAME", pod);
    processEnv.putAll(env);
    process = StandInProcesses.start(builder);
    onStarted();
  }

  void startApp(KubeletStandIn.AppContainers apps, Map<String, String> env) throws Exception {
    app = apps.start(spec, Map.copyOf(env));
    if (app == null) {
      throw new IllegalStateException("AppContainers.start returned null for container " + spec.getName());
    }
    onStarted();
  }

  /** Records a start that failed; {@code backOff}: wait before the next attempt (else try on the next pass). */
  void failedToStart(String reason, String message, boolean backOff) {
    waitingReason = reason;
    waitingMessage = message;
    if (backOff) {
      scheduleRestart();
    }
  }

  /** Notices an exited process (which is then restarted after the back-off) and runs the readiness probe. */
  void poll() {
    Process p = process;
    if (p != null && !p.isAlive()) {
      process = null;
      StandInProcesses.exited(p);
      lastState = new ContainerStateBuilder().withNewTerminated()
          .withExitCode(p.exitValue()).withReason(p.exitValue() == 0 ? "Completed" : "Error")
          .withStartedAt(time(startedAt)).withFinishedAt(time(Instant.now()))
          .endTerminated().build();
      waitingReason = "CrashLoopBackOff";
      waitingMessage = "back-off " + backoff.toSeconds() + "s restarting failed container=" + name() + " pod=" + pod
          + (log == null ? "" : "; its output is in " + log);
      scheduleRestart();
    }
    ready = running() && readiness.check();
    if (!running()) {
      readiness.reset();
    }
  }

  /** Takes the process out of this container for the caller to stop; null when none runs. */
  Process detachProcess() {
    Process p = process;
    process = null;
    ready = false;
    return p;
  }

  /** Stops the app stand-in, if one runs. */
  void closeApp() throws Exception {
    AutoCloseable a = app;
    app = null;
    ready = false;
    if (a != null) {
      a.close();
    }
  }

  ContainerStatus status() {
    ContainerState state;
    if (running()) {
      state = new ContainerStateBuilder().withNewRunning().withStartedAt(time(startedAt)).endRunning().build();
    } else {
      state = new ContainerStateBuilder().withNewWaiting().withReason(waitingReason).withMessage(waitingMessage)
          .endWaiting().build();
    }
    return new ContainerStatusBuilder()
        .withName(name())
        .withImage(spec.getImage())
        .withImageID("standin://" + spec.getImage())
        .withContainerID(running() ? "standin://" + pod + "/" + name() + "/" + restartCount : null)
        .withReady(ready)
        .withStarted(running())
        .withRestartCount(restartCount)
        .withState(state)
        .withLastState(lastState)
        .build();
  }

  /** One line for the stand-in's description. */
  String describe() {
    StringBuilder line = new StringBuilder(name()).append(": ");
    if (running()) {
      line.append("running").append(ready ? ", ready" : ", not ready (" + readiness.lastFailure() + ")");
      processHandle().ifPresent(h -> line.append(", pid ").append(h.pid()));
    } else {
      line.append("waiting: ").append(waitingReason).append(waitingMessage == null ? "" : " - " + waitingMessage);
    }
    line.append(", restarts ").append(restartCount);
    if (log != null) {
      line.append(", log ").append(log);
    }
    return line.toString();
  }

  static String time(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private void onStarted() {
    if (started) {
      restartCount++;
    }
    started = true;
    startedAt = Instant.now();
    waitingReason = null;
    waitingMessage = null;
    readiness.reset();
  }

  private void scheduleRestart() {
    nextStartNanos = System.nanoTime() + backoff.toNanos();
    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
  }
}

package io.devproxy.e2e.kube;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every process a {@link KubeletStandIn} started and has not stopped yet, and the one JVM shutdown hook that kills
 * them if the test JVM exits without closing its stand-in (a test that never reached {@code close()}, Ctrl-C).
 * A SIGKILLed test JVM runs no hook: nothing can clean up after that.
 */
final class StandInProcesses {

  /** How long a killed process gets to disappear before we stop waiting for it. */
  private static final long KILL_WAIT_SECONDS = 5;
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(StandInProcesses::killAll, "kubelet-stand-in-reaper"));
  }

  private StandInProcesses() {}

  /** Starts {@code builder}'s process and tracks it until {@link #stop} returns. */
  static Process start(ProcessBuilder builder) throws IOException {
    Process process = builder.start();
    LIVE.add(process);
    return process;
  }

  /**
   * Stops {@code processes} as a kubelet stops containers: SIGTERM to all, up to {@code grace} for all of them
   * together to exit, then SIGKILL to what is left (and its descendants), and waits for that too. Returns when every
   * process is gone or could not be killed in {@value #KILL_WAIT_SECONDS} s. Keeps the interrupt status.
   */
  static void stop(Collection<Process> processes, Duration grace) {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    long deadline = System.nanoTime() + grace.toNanos();
    boolean interrupted = false;
    for (Process p : processes) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
          kill(p);
        }
      } catch (InterruptedException e) {
        interrupted = true;
        kill(p);
      }
      LIVE.remove(p);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Forgets a process that exited by itself. */
  static void exited(Process process) {
    LIVE.remove(process);
  }

  /** The processes started and not stopped yet, alive or not. */
  static List<ProcessHandle> live() {
    return LIVE.stream().map(Process::toHandle).toList();
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void killAll() {
    for (Process p : LIVE) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}

package io.devproxy.daemon.control;

import io.devproxy.daemon.Intercepts;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** In-memory intercepts; an armed failure is thrown by the next {@link #intercept} or {@link #leave}. */
final class FakeIntercepts implements Intercepts {

  final Map<String, InterceptInfo> intercepts = new ConcurrentSkipListMap<>();
  final List<InterceptRequest> requests = new ArrayList<>();
  final AtomicInteger closeCount = new AtomicInteger();
  volatile Exception nextFailure;
  volatile Runnable onClose = () -> {};
  /** When set, intercept waits until its thread is interrupted (a rollout that never ends), then counts down. */
  volatile CountDownLatch interruptedWhileWaiting;

  @Override
  public synchronized InterceptInfo intercept(InterceptRequest request, Consumer<String> progress)
      throws DevproxyException {
    requests.add(request);
    progress.accept("preparing " + request.getName());
    throwArmedFailure();
    CountDownLatch waiting = interruptedWhileWaiting;
    if (waiting != null) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        waiting.countDown();
        throw new DevproxyException(ErrorCategory.USER, "cancelled");
      }
    }
    InterceptInfo info =
        InterceptInfo.newBuilder()
            .setName(request.getName())
            .setKey(request.getKey().isEmpty() ? "alice" : request.getKey())
            .setAgentAddress(request.getAgentAddress())
            .setLocalPort(request.getLocalPort())
            .setLocalProtocol(request.getLocalProtocol())
            .setMatcher("x-devproxy-session: alice")
            .setState("ACTIVE")
            .build();
    intercepts.put(request.getName(), info);
    return info;
  }

  @Override
  public synchronized void leave(String name) throws DevproxyException {
    throwArmedFailure();
    if (intercepts.remove(name) == null) {
      throw new DevproxyException(ErrorCategory.USER, "no intercept named '" + name + "'");
    }
  }

  private void throwArmedFailure() throws DevproxyException {
    Exception failure = nextFailure;
    nextFailure = null;
    if (failure instanceof DevproxyException de) {
      throw de;
    }
    if (failure instanceof RuntimeException re) {
      throw re;
    }
  }

  @Override
  public List<InterceptInfo> list() {
    return List.copyOf(intercepts.values());
  }

  @Override
  public void close() {
    if (closeCount.incrementAndGet() == 1) {
      onClose.run();
      intercepts.clear();
    }
  }

}

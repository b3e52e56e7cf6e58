package io.devproxy.daemon.tunnel;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.outbound.LocalForwards;
import io.devproxy.daemon.tunnel.Provisioner.Provisioned;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.upstream.Upstream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * One intercept: one session id and local target, registered on every agent its {@link AgentSource} reports
 * (one {@link InterceptSession} per agent). A fixed agent address gives one; a Kubernetes workload gives one
 * per ready agent pod, following rollouts and scaling.
 *
 * <p>Thread-safe.
 */
final class Intercept {

  private static final Logger logger = Logger.getLogger(Intercept.class.getName());

  private final InterceptRequest request;
  private final String sessionId;
  private final String matcher;
  private final Upstream local;
  private final AtomicLong requests = new AtomicLong();
  private final LocalTarget target;
  private final Provisioned provisioned;
  private final AgentSource source;
  /** Creates the session on one agent; the caller of {@link #close} releases its connection. */
  private final BiFunction<String, InetSocketAddress, InterceptSession> sessions;
  private final Consumer<InterceptSession> discard;
  private final Map<String, InterceptSession> agents = new LinkedHashMap<>();
  private boolean resumed;
  private boolean closed;
  private LocalForwards forwards;

  /**
   * @param provisioned what the intercept changed in a cluster; null for a fixed agent address
   * @param sessions opens the session on an agent (not started)
   * @param discard closes a session and releases its connection
   */
  Intercept(InterceptRequest request, String sessionId, String matcher, Upstream local, Provisioned provisioned,
      AgentSource source, BiFunction<String, InetSocketAddress, InterceptSession> sessions,
      Consumer<InterceptSession> discard) {
    this.request = requireNonNull(request, "request");
    this.sessionId = requireNonNull(sessionId, "sessionId");
    this.matcher = requireNonNull(matcher, "matcher");
    this.local = requireNonNull(local, "local");
    this.target = new LocalTarget(local, requests::incrementAndGet);
    this.provisioned = provisioned;
    this.source = requireNonNull(source, "source");
    this.sessions = requireNonNull(sessions, "sessions");
    this.discard = requireNonNull(discard, "discard");
  }

  String name() {
    return request.getName();
  }

  String sessionId() {
    return sessionId;
  }

  InterceptRequest request() {
    return request;
  }

  LocalTarget target() {
    return target;
  }

  Provisioned provisioned() {
    return provisioned;
  }

  /**
   * Follows the agents and waits until the session is registered on every agent known by then (at least
   * one), or one of them refused it.
   *
   * @throws DevproxyException the first agent's refusal or failure; CLUSTER when no agent registered in time
   */
  void start(Duration timeout) throws DevproxyException, InterruptedException {
    source.start(new Listener());
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<CompletableFuture<Void>> pending = new ArrayList<>();
      synchronized (this) {
        while (agents.isEmpty() && !closed) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new DevproxyException(ErrorCategory.CLUSTER, "no agent of intercept '" + name()
                + "' became reachable within " + timeout.toSeconds() + " s; check the agent pods and the daemon's log");
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        for (InterceptSession session : agents.values()) {
          pending.add(session.registration());
        }
      }
      try {
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
            .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof DevproxyException de) {
          throw de;
        }
        throw new DevproxyException(ErrorCategory.INTERNAL, "intercept failed: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        throw new DevproxyException(ErrorCategory.CLUSTER, "the agent at " + agentsText() + " did not answer within "
            + timeout.toSeconds() + " s; check that it runs and its log");
      }
      synchronized (this) {
        if (agents.size() == pending.size()) {
          // From now on an agent that comes (a rollout, a scale-up) gets a session that retries until it
          // registers, rather than one that gives up on the first failure.
          resumed = true;
          return;
        }
      }
    }
  }

  /** Follows the agents of a resumed intercept: sessions start as reconnecting and do not fail on absence. */
  void resume() throws DevproxyException {
    synchronized (this) {
      resumed = true;
    }
    source.start(new Listener());
  }

  private final class Listener implements AgentSource.Listener {
    @Override
    public void added(String agent, InetSocketAddress address) {
      InterceptSession session;
      boolean resume;
      synchronized (Intercept.this) {
        if (closed || agents.containsKey(agent)) {
          return;
        }
        session = sessions.apply(agent, address);
        agents.put(agent, session);
        resume = resumed;
        Intercept.this.notifyAll();
      }
      logger.info(() -> "[" + name() + "] agent " + agent + " at " + address);
      if (resume) {
        session.resume();
      } else {
        session.start();
      }
    }

    @Override
    public void removed(String agent) {
      InterceptSession session;
      synchronized (Intercept.this) {
        session = agents.remove(agent);
      }
      if (session != null) {
        logger.info(() -> "[" + name() + "] agent " + agent + " gone");
        discard.accept(session);
      }
    }
  }

  private synchronized String agentsText() {
    return String.join(", ", agents.keySet());
  }

  /** The intercept's --forward ports, closed with it. */
  void forwards(LocalForwards opened) {
    boolean late;
    synchronized (this) {
      late = closed;
      if (!late) {
        forwards = opened;
      }
    }
    if (late) {
      opened.close();
    }
  }

  /** A session of this intercept that is active on its agent, for outbound dials; null when none is. */
  synchronized InterceptSession activeSession() {
    for (InterceptSession session : agents.values()) {
      if (session.snapshot().state() == InterceptSession.State.ACTIVE) {
        return session;
      }
    }
    return null;
  }

  synchronized InterceptInfo info() {
    InterceptInfo.Builder info = InterceptInfo.newBuilder()
        .setName(request.getName())
        .setSessionId(sessionId)
        .setKey(request.getKey())
        .setAgentAddress(request.getAgentAddress().isEmpty() ? String.join(", ", agents.keySet())
            : request.getAgentAddress())
        .setLocalPort(request.getLocalPort())
        .setLocalProtocol(local.mode().flagValue())
        .setAgents(agents.size());
    int connected = 0;
    boolean reconnecting = false;
    long rtt = 0;
    String lastError = "";
    for (InterceptSession session : agents.values()) {
      InterceptSession.Snapshot s = session.snapshot();
      connected += s.state() == InterceptSession.State.ACTIVE ? 1 : 0;
      reconnecting |= s.state() == InterceptSession.State.RECONNECTING;
      if (lastError.isEmpty()) {
        lastError = s.lastError();
      }
      rtt = Math.max(rtt, s.rttMicros());
    }
    String state = !agents.isEmpty() && connected == agents.size() ? "ACTIVE"
        : reconnecting ? "RECONNECTING" : "CONNECTING";
    info.setState(state).setLastError(lastError).setTunnelRttMicros(rtt).setAgentsConnected(connected)
        .setMatcher(matcher).setRequests(requests.get());
    if (forwards != null) {
      info.addAllForwards(forwards.infos());
    }
    if (provisioned != null) {
      provisioned.describe(info);
    }
    return info.build();
  }

  /** Stops following the agents and unregisters from each; does not touch the cluster. */
  void close() {
    List<InterceptSession> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(agents.values());
      agents.clear();
      notifyAll();
    }
    if (forwards != null) {
      forwards.close();
    }
    source.close();
    for (InterceptSession session : all) {
      discard.accept(session);
    }
    local.close();
  }
}

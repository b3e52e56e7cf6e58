package io.devproxy.daemon.tunnel;

import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.Intercepts;
import io.devproxy.proto.daemon.DaemonState;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.SavedIntercept;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.tunnel.HostPort;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.UserPki;
import io.devproxy.tunnel.upstream.Upstream;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's intercept engine without Kubernetes: each intercept is a session on an agent reached at a
 * given address. Intercepts are saved under {@code state/} so a restarted daemon resumes them.
 *
 * <p>Thread-safe. Owns its scheduler, agent connections and local upstreams; not the event loops.
 */
public final class TunnelIntercepts implements Intercepts {

  private static final Logger logger = Logger.getLogger(TunnelIntercepts.class.getName());
  static final Duration REGISTER_TIMEOUT = Duration.ofSeconds(8);

  private final DevproxyHome home;
  private final EventLoopGroup group;
  private final SslContext tls;
  private final String owner;
  private final String clientId = UUID.randomUUID().toString();
  private final ScheduledExecutorService scheduler;
  private final Map<String, InterceptSession> intercepts = new LinkedHashMap<>();
  private final Map<String, AgentConnection> connections = new HashMap<>();
  private final Map<String, InterceptSession> bySession = new ConcurrentHashMap<>();
  private boolean closed;

  private TunnelIntercepts(DevproxyHome home, EventLoopGroup group, SslContext tls, String owner) {
    this.home = home;
    this.group = group;
    this.tls = tls;
    this.owner = owner;
    this.scheduler = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "devproxy-daemon-scheduler");
      t.setDaemon(true);
      return t;
    });
  }

  /** Loads the user's certificates (creating them on first use) and resumes saved intercepts. */
  public static TunnelIntercepts create(DevproxyHome home, EventLoopGroup group) throws DevproxyException {
    String owner = ownerName();
    SslContext tls;
    try {
      UserPki pki = UserPki.loadOrCreate(home.pkiDir(), owner);
      // The own CA and the CAs of agents other developers set up; re-read when 'certs agent' adds one.
      tls = AgentTls.clientContext(pki.clientCertificateFile(), pki.clientKeyFile(), pki.agentTrustFile());
    } catch (IOException | RuntimeException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot load the devproxy certificates under "
          + home.pkiDir() + ": " + e.getMessage() + "; move that directory away to create new ones", e);
    }
    TunnelIntercepts intercepts = new TunnelIntercepts(home, group, tls, owner);
    intercepts.resumeSaved();
    return intercepts;
  }

  /** {@code user@host}: who this daemon intercepts as, in the agent's messages and metrics. */
  public static String ownerName() {
    return UserPki.defaultOwner();
  }

  private Path stateFile() {
    return home.stateDir().resolve("intercepts.pb");
  }

  @Override
  public InterceptInfo intercept(InterceptRequest request) throws DevproxyException {
    validate(request);
    InterceptSession session;
    synchronized (this) {
      if (closed) {
        throw new DevproxyException(ErrorCategory.INTERNAL, "the daemon is shutting down; run the command again");
      }
      InterceptSession existing = intercepts.get(request.getName());
      if (existing != null) {
        if (existing.request().equals(withDefaults(request))) {
          return existing.info();
        }
        throw new DevproxyException(ErrorCategory.USER, "intercept '" + request.getName()
            + "' already exists with other settings; run 'devproxy leave " + request.getName() + "' first");
      }
      session = newSession(withDefaults(request), UUID.randomUUID().toString());
    }
    try {
      session.start().get(REGISTER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      discard(session);
      if (e.getCause() instanceof DevproxyException de) {
        throw de;
      }
      throw new DevproxyException(ErrorCategory.INTERNAL, "intercept failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      discard(session);
      throw new DevproxyException(ErrorCategory.CLUSTER, "the agent at " + request.getAgentAddress()
          + " did not answer within " + REGISTER_TIMEOUT.toSeconds() + " s; check --agent-address and the agent's log");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      discard(session);
      throw new DevproxyException(ErrorCategory.INTERNAL, "interrupted");
    }
    synchronized (this) {
      intercepts.put(session.name(), session);
      save();
    }
    return session.info();
  }

  private static InterceptRequest withDefaults(InterceptRequest request) {
    InterceptRequest.Builder builder = request.toBuilder();
    if (builder.getLocalProtocol().isEmpty()) {
      builder.setLocalProtocol("auto");
    }
    return builder.build();
  }

  private static void validate(InterceptRequest request) throws DevproxyException {
    if (request.getName().isBlank()) {
      throw new DevproxyException(ErrorCategory.USER, "NAME: missing (the intercept's name, e.g. the service)");
    }
    if (request.getLocalPort() < 1 || request.getLocalPort() > 65535) {
      throw new DevproxyException(ErrorCategory.USER, "--port: " + request.getLocalPort() + " (expected: 1-65535)");
    }
    try {
      HostPort.parse(request.getAgentAddress());
      if (!request.getLocalProtocol().isEmpty()) {
        UpstreamProtocol.parse(request.getLocalProtocol());
      }
      Matchers.fromRequest(request, "key");
    } catch (IllegalArgumentException e) {
      throw new DevproxyException(ErrorCategory.USER, e.getMessage().startsWith("--") ? e.getMessage()
          : "--agent-address: " + e.getMessage());
    }
  }

  /** Creates a session and its connection; the caller holds the lock. */
  private InterceptSession newSession(InterceptRequest request, String sessionId) {
    String key = request.getKey().isEmpty() ? System.getProperty("user.name") : request.getKey();
    Matcher matcher = Matchers.fromRequest(request, key);
    AgentConnection connection = connections.computeIfAbsent(request.getAgentAddress(),
        address -> new AgentConnection(HostPort.parse(address), clientId, tls, group, scheduler, bySessionLookup()));
    connection.retain();
    Upstream local = new Upstream(new InetSocketAddress(InetAddress.getLoopbackAddress(), request.getLocalPort()),
        UpstreamProtocol.parse(request.getLocalProtocol().isEmpty() ? "auto" : request.getLocalProtocol()),
        Duration.ofSeconds(2));
    InterceptSession session = new InterceptSession(request.toBuilder().setKey(key).build(), sessionId, owner,
        matcher, Matchers.describe(matcher), connection, local, scheduler);
    bySession.put(sessionId, session);
    return session;
  }

  private java.util.function.Function<String, LocalTarget> bySessionLookup() {
    return id -> {
      InterceptSession session = bySession.get(id);
      return session == null ? null : session.target();
    };
  }

  private void discard(InterceptSession session) {
    session.close();
    synchronized (this) {
      bySession.remove(session.sessionId());
      releaseConnection(session);
    }
    session.target().upstream().close();
  }

  private void releaseConnection(InterceptSession session) {
    AgentConnection connection = session.connection();
    if (connection.release()) {
      connections.values().remove(connection);
      connection.close();
    }
  }

  @Override
  public void leave(String name) throws DevproxyException {
    InterceptSession session;
    synchronized (this) {
      session = intercepts.remove(name);
      if (session == null) {
        throw new DevproxyException(ErrorCategory.USER, "no intercept named '" + name
            + "'; 'devproxy status' lists them");
      }
      save();
    }
    discard(session);
    logger.info(() -> "[" + name + "] left");
  }

  @Override
  public synchronized List<InterceptInfo> list() {
    List<InterceptInfo> infos = new ArrayList<>();
    for (InterceptSession session : intercepts.values()) {
      infos.add(session.info());
    }
    return infos;
  }

  private void resumeSaved() {
    Path file = stateFile();
    if (!Files.exists(file)) {
      return;
    }
    DaemonState state;
    try {
      state = DaemonState.parseFrom(Files.readAllBytes(file));
    } catch (IOException e) {
      logger.log(Level.WARNING, "cannot read " + file + " (" + e.getMessage() + "); starting without saved intercepts");
      return;
    }
    synchronized (this) {
      for (SavedIntercept saved : state.getInterceptsList()) {
        try {
          InterceptSession session = newSession(saved.getRequest(), saved.getSessionId());
          intercepts.put(session.name(), session);
          session.resume();
          logger.info(() -> "[" + session.name() + "] resuming saved intercept");
        } catch (RuntimeException e) {
          logger.log(Level.WARNING, "cannot resume saved intercept '" + saved.getRequest().getName() + "': " + e.getMessage());
        }
      }
    }
  }

  /** Writes the state file atomically, mode 0600. The caller holds the lock. */
  private void save() {
    DaemonState.Builder state = DaemonState.newBuilder();
    for (InterceptSession session : intercepts.values()) {
      state.addIntercepts(SavedIntercept.newBuilder().setRequest(session.request()).setSessionId(session.sessionId()));
    }
    Path file = stateFile();
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), "intercepts", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(tmp, state.build().toByteArray());
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      logger.log(Level.WARNING, "cannot save intercepts to " + file + ": " + e.getMessage()
          + " (a restarted daemon will not resume them)");
    }
  }

  /**
   * Ends every intercept: the agents drop the sessions at once. The state file keeps them only if the
   * daemon is being killed rather than told to quit, which is when resuming is wanted.
   */
  @Override
  public void close() {
    List<InterceptSession> sessions;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      sessions = new ArrayList<>(intercepts.values());
      intercepts.clear();
      save();
    }
    for (InterceptSession session : sessions) {
      discard(session);
    }
    synchronized (this) {
      for (AgentConnection connection : connections.values()) {
        connection.close();
      }
      connections.clear();
    }
    scheduler.shutdownNow();
  }

  /** The ServiceLoader entry the daemon finds. */
  public static final class Factory implements io.devproxy.daemon.InterceptsFactory {
    @Override
    public Intercepts create(DevproxyHome home, EventLoopGroup group) throws DevproxyException {
      return TunnelIntercepts.create(home, group);
    }
  }
}

package io.devproxy.daemon.tunnel;

import io.devproxy.daemon.DaemonConfig;
import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.Intercepts;
import io.devproxy.daemon.kube.KubeClients;
import io.devproxy.daemon.kube.KubeProvisioner;
import io.devproxy.daemon.outbound.DialException;
import io.devproxy.daemon.outbound.DialedConnection;
import io.devproxy.daemon.outbound.LocalForwards;
import io.devproxy.daemon.outbound.OutboundService;
import io.devproxy.daemon.tunnel.Provisioner.Provisioned;
import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.DaemonState;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.SavedIntercept;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's intercept engine: each intercept is a session registered on its agents, at a given address
 * ({@code --agent-address}) or, through a {@link Provisioner}, on the agent pods of a Kubernetes workload.
 * Intercepts are saved under {@code state/} so a restarted daemon resumes them.
 *
 * <p>Thread-safe. Owns its scheduler, agent connections, local upstreams and provisioner; not the event loops.
 */
public final class TunnelIntercepts implements Intercepts {

  private static final Logger logger = Logger.getLogger(TunnelIntercepts.class.getName());
  static final Duration REGISTER_TIMEOUT = Duration.ofSeconds(8);

  private final DevproxyHome home;
  private final EventLoopGroup group;
  private final SslContext tls;
  private final String owner;
  private final Provisioner provisioner;
  private final String clientId = UUID.randomUUID().toString();
  private final ScheduledExecutorService scheduler;
  private final Map<String, Intercept> intercepts = new LinkedHashMap<>();
  /** Names being set up: a second intercept of the same name waits for neither, it fails. */
  private final Set<String> starting = new HashSet<>();
  private final Map<String, AgentConnection> connections = new HashMap<>();
  private final Map<String, LocalTarget> bySession = new ConcurrentHashMap<>();
  private boolean closed;

  private TunnelIntercepts(DevproxyHome home, EventLoopGroup group, SslContext tls, String owner,
      Provisioner provisioner) {
    this.home = home;
    this.group = group;
    this.tls = tls;
    this.owner = owner;
    this.provisioner = provisioner;
    this.scheduler = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "devproxy-daemon-scheduler");
      t.setDaemon(true);
      return t;
    });
  }

  /** Loads the user's certificates (creating them on first use) and resumes saved intercepts. */
  public static TunnelIntercepts create(DevproxyHome home, EventLoopGroup group) throws DevproxyException {
    return create(home, group, pki -> null);
  }

  /**
   * Loads the user's certificates (creating them on first use) and resumes saved intercepts.
   *
   * @param provisioner makes, from the user's certificates, what prepares the cluster for intercepts without an
   *     agent address; it may return null for none. The result is owned.
   */
  public static TunnelIntercepts create(DevproxyHome home, EventLoopGroup group,
      Function<UserPki, Provisioner> provisioner) throws DevproxyException {
    String owner = ownerName();
    UserPki pki;
    SslContext tls;
    try {
      pki = UserPki.loadOrCreate(home.pkiDir(), owner);
      // The own CA and the CAs of agents other developers set up; re-read when 'certs agent' adds one.
      tls = AgentTls.clientContext(pki.clientCertificateFile(), pki.clientKeyFile(), pki.agentTrustFile());
    } catch (IOException | RuntimeException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot load the devproxy certificates under "
          + home.pkiDir() + ": " + e.getMessage() + "; move that directory away to create new ones", e);
    }
    TunnelIntercepts intercepts = new TunnelIntercepts(home, group, tls, owner, provisioner.apply(pki));
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
  public InterceptInfo intercept(InterceptRequest request, Consumer<String> progress) throws DevproxyException {
    validate(request);
    InterceptRequest effective = withDefaults(request);
    synchronized (this) {
      if (closed) {
        throw new DevproxyException(ErrorCategory.INTERNAL, "the daemon is shutting down; run the command again");
      }
      Intercept existing = intercepts.get(request.getName());
      if (existing != null) {
        if (existing.request().equals(effective.toBuilder().setKey(existing.request().getKey()).build())
            && (request.getKey().isEmpty() || request.getKey().equals(existing.request().getKey()))) {
          return existing.info();
        }
        throw new DevproxyException(ErrorCategory.USER, "intercept '" + request.getName()
            + "' already exists with other settings; run 'devproxy leave " + request.getName() + "' first");
      }
      if (!starting.add(request.getName())) {
        throw new DevproxyException(ErrorCategory.USER, "intercept '" + request.getName()
            + "' is being started by another command; wait for it, then check 'devproxy status'");
      }
    }
    String sessionId = UUID.randomUUID().toString();
    Provisioned provisioned = null;
    Intercept intercept = null;
    try {
      AgentSource source;
      if (effective.getAgentAddress().isEmpty()) {
        provisioned = provisioner.provision(effective, sessionId, owner, progress);
        source = provisioned.agents();
        progress.accept("connecting the tunnel");
      } else {
        source = AgentSource.fixed(effective.getAgentAddress(), HostPort.parse(effective.getAgentAddress()));
      }
      intercept = newIntercept(effective, sessionId, provisioned, source);
      intercept.start(REGISTER_TIMEOUT);
      if (!effective.getForwardsList().isEmpty()) {
        intercept.forwards(LocalForwards.open(OutboundService.parse(effective.getForwardsList()), this, group));
      }
      synchronized (this) {
        intercepts.put(intercept.name(), intercept);
        save();
      }
      return intercept.info();
    } catch (InterruptedException e) {
      abandon(intercept, provisioned);
      throw new DevproxyException(ErrorCategory.USER, "intercept '" + request.getName()
          + "' cancelled; what it changed was undone");
    } catch (DevproxyException | RuntimeException e) {
      abandon(intercept, provisioned);
      throw e;
    } finally {
      synchronized (this) {
        starting.remove(request.getName());
      }
    }
  }

  /** Closes a failed intercept's tunnels and undoes what it changed in the cluster. */
  private void abandon(Intercept intercept, Provisioned provisioned) {
    boolean interrupted = Thread.interrupted(); // let the cluster calls below run
    if (intercept != null) {
      closeIntercept(intercept);
    }
    if (provisioned != null) {
      try {
        provisioned.release();
      } catch (DevproxyException | RuntimeException e) {
        logger.log(Level.WARNING, "could not undo an abandoned intercept: " + e.getMessage()
            + " (its Lease expires and the next daemon start cleans up)");
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static InterceptRequest withDefaults(InterceptRequest request) {
    InterceptRequest.Builder builder = request.toBuilder();
    if (builder.getLocalProtocol().isEmpty()) {
      builder.setLocalProtocol("auto");
    }
    if (builder.getKey().isEmpty()) {
      builder.setKey(System.getProperty("user.name"));
    }
    if (builder.getAgentAddress().isEmpty() && builder.getMode().isEmpty()) {
      builder.setMode("sidecar");
    }
    return builder.build();
  }

  private void validate(InterceptRequest request) throws DevproxyException {
    if (request.getName().isBlank()) {
      throw new DevproxyException(ErrorCategory.USER, "NAME: missing (the intercept's name, e.g. the service)");
    }
    if (request.getLocalPort() < 1 || request.getLocalPort() > 65535) {
      throw new DevproxyException(ErrorCategory.USER, "--port: " + request.getLocalPort() + " (expected: 1-65535)");
    }
    if (request.getAgentAddress().isEmpty() && provisioner == null) {
      throw new DevproxyException(ErrorCategory.CONFIG,
          "this daemon has no Kubernetes support; pass --agent-address HOST:PORT of a running agent");
    }
    try {
      if (!request.getAgentAddress().isEmpty()) {
        try {
          HostPort.parse(request.getAgentAddress());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--agent-address: " + e.getMessage(), e);
        }
      }
      if (!request.getLocalProtocol().isEmpty()) {
        UpstreamProtocol.parse(request.getLocalProtocol());
      }
      OutboundService.parse(request.getForwardsList());
      Matcher matcher = Matchers.fromRequest(request, "key");
      if (matcher.getSessionKey().isEmpty() && (request.getAmbassador() || request.getPreview()
          || !request.getPreviewHost().isEmpty())) {
        throw new IllegalArgumentException(sessionKeyNeeded(request.getAmbassador() ? "--ambassador header routes"
            : "previews"));
      }
    } catch (IllegalArgumentException e) {
      throw new DevproxyException(ErrorCategory.USER, e.getMessage());
    }
  }

  private Intercept newIntercept(InterceptRequest request, String sessionId, Provisioned provisioned,
      AgentSource source) {
    Matcher matcher = Matchers.fromRequest(request, request.getKey());
    Upstream local = new Upstream(new InetSocketAddress(InetAddress.getLoopbackAddress(), request.getLocalPort()),
        UpstreamProtocol.parse(request.getLocalProtocol()), Duration.ofSeconds(2));
    Intercept[] self = new Intercept[1];
    Intercept intercept = new Intercept(request, sessionId, Matchers.describe(matcher), local, provisioned, source,
        (agent, address) -> newSession(self[0], matcher, agent, address), this::discard);
    self[0] = intercept;
    bySession.put(sessionId, intercept.target());
    return intercept;
  }

  /** The session of {@code intercept} on the agent at {@code address}, with a retained connection. */
  private InterceptSession newSession(Intercept intercept, Matcher matcher, String agent, InetSocketAddress address) {
    AgentConnection connection;
    synchronized (this) {
      connection = connections.computeIfAbsent(address.getHostString() + ":" + address.getPort(),
          a -> new AgentConnection(address, clientId, tls, group, scheduler, bySession::get));
      connection.retain();
    }
    boolean fixed = !intercept.request().getAgentAddress().isEmpty();
    String name = fixed ? "at " + agent : "in pod " + agent + " (port-forward " + connection.address() + ")";
    String hint = fixed ? "check --agent-address and that the agent is running"
        : "check the agent's log: kubectl logs " + agent + " -c devproxy-agent";
    return new InterceptSession(intercept.request(), intercept.sessionId(), owner, matcher,
        connection, name, hint, intercept.target(), scheduler);
  }

  /** Unregisters one session and releases its connection. */
  private void discard(InterceptSession session) {
    session.close();
    AgentConnection connection = session.connection();
    boolean last;
    synchronized (this) {
      last = connection.release();
      if (last) {
        connections.values().remove(connection);
      }
    }
    if (last) {
      connection.close();
    }
  }

  private void closeIntercept(Intercept intercept) {
    intercept.close();
    bySession.remove(intercept.sessionId());
  }

  @Override
  public void leave(String name) throws DevproxyException {
    Intercept intercept;
    synchronized (this) {
      intercept = intercepts.remove(name);
      if (intercept == null) {
        throw new DevproxyException(ErrorCategory.USER, "no intercept named '" + name
            + "'; 'devproxy status' lists them");
      }
      save();
    }
    closeIntercept(intercept);
    if (intercept.provisioned() != null) {
      intercept.provisioned().release();
    }
    logger.info(() -> "[" + name + "] left");
  }

  @Override
  public Preview createPreview(CreatePreviewRequest request) throws DevproxyException {
    Provisioned provisioned = clusterSide(request.getName(), "previews", true);
    Preview preview = provisioned.createPreview(request);
    synchronized (this) {
      save();
    }
    return preview;
  }

  @Override
  public List<String> deletePreviews(String name, String host) throws DevproxyException {
    Provisioned provisioned = clusterSide(name, "previews", false);
    try {
      return provisioned.deletePreviews(host);
    } finally {
      synchronized (this) {
        save();
      }
    }
  }

  @Override
  public GetEnvReply getEnv(String name) throws DevproxyException {
    return clusterSide(name, "importing the container's environment", false).env();
  }

  /**
   * The cluster side of intercept {@code name}, which {@code what} needs; with {@code sessionKey}, only when the
   * intercept matches the session key (what edge routes add).
   */
  private synchronized Provisioned clusterSide(String name, String what, boolean sessionKey)
      throws DevproxyException {
    Intercept intercept = intercepts.get(name);
    if (intercept == null) {
      throw new DevproxyException(ErrorCategory.USER, "no intercept named '" + name + "'; run 'devproxy intercept "
          + name + " --port PORT' first, or 'devproxy status' to list them");
    }
    if (intercept.provisioned() == null) {
      throw new DevproxyException(ErrorCategory.USER, "intercept '" + name + "' was made with --agent-address and"
          + " has no cluster side; for " + what + ", run 'devproxy intercept " + name + "' against the cluster");
    }
    if (sessionKey
        && Matchers.fromRequest(intercept.request(), intercept.request().getKey()).getSessionKey().isEmpty()) {
      throw new DevproxyException(ErrorCategory.USER, sessionKeyNeeded(what));
    }
    return intercept.provisioned();
  }

  private static String sessionKeyNeeded(String what) {
    return what + " route by your session key, which this intercept does not match (it has --header or"
        + " --path-prefix only); add --key KEY";
  }

  /**
   * Dials through the agent of the most recently started intercept that has an active session: its namespace
   * is the one whose short Service names resolve.
   */
  @Override
  public CompletableFuture<DialedConnection> dial(String host, int port) {
    DialVia via = dialVia();
    if (via == null) {
      return CompletableFuture.failedFuture(new DialException(DialException.Kind.NO_AGENT, "devproxy: no agent to"
          + " dial " + host + ":" + port + " from: outbound connections need an active intercept"
          + " (devproxy intercept SERVICE --port PORT); 'devproxy status' shows its state"));
    }
    return AgentDial.open(via.session().connection(), host, port, "agent " + via.session().agent()
        + " of intercept '" + via.intercept().name() + "'", scheduler).result();
  }

  @Override
  public String via() {
    DialVia via = dialVia();
    if (via == null) {
      return "";
    }
    Provisioned provisioned = via.intercept().provisioned();
    return via.intercept().name() + (provisioned == null
        ? " (agent at " + via.intercept().request().getAgentAddress() + ")"
        : " (namespace " + provisioned.binding().getNamespace() + ")");
  }

  /** An intercept and its active agent session, which outbound connections are dialed through. */
  private record DialVia(Intercept intercept, InterceptSession session) {}

  /** The newest intercept with an active agent session, or null when none has one. */
  private DialVia dialVia() {
    List<Intercept> newestFirst;
    synchronized (this) {
      newestFirst = new ArrayList<>(intercepts.values());
    }
    Collections.reverse(newestFirst);
    for (Intercept intercept : newestFirst) {
      InterceptSession session = intercept.activeSession();
      if (session != null) {
        return new DialVia(intercept, session);
      }
    }
    return null;
  }

  @Override
  public synchronized List<InterceptInfo> list() {
    List<InterceptInfo> infos = new ArrayList<>();
    for (Intercept intercept : intercepts.values()) {
      infos.add(intercept.info());
    }
    return infos;
  }

  @Override
  public UninstallReply uninstall(UninstallRequest request) throws DevproxyException {
    if (provisioner == null) {
      return Intercepts.super.uninstall(request);
    }
    if (request.getAll() == request.getName().isEmpty()) {
      throw new DevproxyException(ErrorCategory.USER, "name a Service or pass --all, not both");
    }
    String namespace = provisioner.namespace(request.getKube());
    List<String> mine = new ArrayList<>();
    synchronized (this) {
      for (Intercept intercept : intercepts.values()) {
        Provisioned p = intercept.provisioned();
        if (p != null && p.binding().getNamespace().equals(namespace)
            && (request.getAll() || p.binding().getService().equals(request.getName()))) {
          mine.add(intercept.name());
        }
      }
    }
    for (String name : mine) {
      try {
        leave(name);
      } catch (DevproxyException e) {
        logger.log(Level.WARNING, "[" + name + "] leave before uninstall: " + e.getMessage());
      }
    }
    return provisioner.uninstall(request);
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
    for (SavedIntercept saved : state.getInterceptsList()) {
      if (saved.hasCluster()) {
        // Reaching the cluster can take long: the control socket must open first, and the scheduler's
        // heartbeats must not wait behind API calls.
        synchronized (this) {
          starting.add(saved.getRequest().getName());
        }
        Thread resumer = new Thread(() -> resume(saved), "devproxy-resume-" + saved.getRequest().getName());
        resumer.setDaemon(true);
        resumer.start();
      } else {
        resume(saved);
      }
    }
  }

  private void resume(SavedIntercept saved) {
    String name = saved.getRequest().getName();
    try {
      Provisioned provisioned = null;
      AgentSource source;
      if (saved.hasCluster()) {
        if (provisioner == null) {
          throw new DevproxyException(ErrorCategory.CONFIG, "this daemon has no Kubernetes support");
        }
        provisioned = provisioner.resume(saved.getRequest(), saved.getSessionId(), owner, saved.getCluster());
        source = provisioned.agents();
      } else {
        source = AgentSource.fixed(saved.getRequest().getAgentAddress(),
            HostPort.parse(saved.getRequest().getAgentAddress()));
      }
      Intercept intercept = newIntercept(saved.getRequest(), saved.getSessionId(), provisioned, source);
      synchronized (this) {
        if (closed) {
          closeIntercept(intercept);
          return;
        }
        intercepts.put(name, intercept);
      }
      intercept.resume();
      logger.info(() -> "[" + name + "] resuming saved intercept");
      if (!saved.getRequest().getForwardsList().isEmpty()) {
        try {
          intercept.forwards(LocalForwards.open(OutboundService.parse(saved.getRequest().getForwardsList()), this,
              group));
        } catch (DevproxyException e) {
          logger.warning("[" + name + "] resumed without its --forward ports: " + e.getMessage());
        }
      }
    } catch (DevproxyException | RuntimeException e) {
      logger.log(Level.WARNING, "cannot resume saved intercept '" + name + "': " + e.getMessage());
    } finally {
      synchronized (this) {
        starting.remove(name);
        save();
      }
    }
  }

  /** Writes the state file atomically, mode 0600. The caller holds the lock. */
  private void save() {
    DaemonState.Builder state = DaemonState.newBuilder();
    for (Intercept intercept : intercepts.values()) {
      SavedIntercept.Builder saved = SavedIntercept.newBuilder()
          .setRequest(intercept.request()).setSessionId(intercept.sessionId());
      if (intercept.provisioned() != null) {
        saved.setCluster(intercept.provisioned().binding());
      }
      state.addIntercepts(saved);
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
   * Ends every intercept: the agents drop the sessions at once, and what the intercepts changed in clusters
   * is restored. The state file keeps them only if the daemon is killed without running this (kill -9, a
   * crash, a laptop that vanished), which is when resuming is wanted.
   */
  @Override
  public void close() {
    List<Intercept> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(intercepts.values());
      intercepts.clear();
    }
    for (Intercept intercept : all) {
      closeIntercept(intercept);
      if (intercept.provisioned() != null) {
        try {
          intercept.provisioned().release();
        } catch (DevproxyException | RuntimeException e) {
          logger.log(Level.WARNING, "[" + intercept.name() + "] could not restore the cluster: " + e.getMessage()
              + " (its Lease expires and the next daemon start cleans up)");
        }
      }
    }
    synchronized (this) {
      save();
      for (AgentConnection connection : connections.values()) {
        connection.close();
      }
      connections.clear();
    }
    if (provisioner != null) {
      provisioner.close();
    }
    scheduler.shutdownNow();
  }

  /** The ServiceLoader entry the daemon finds: intercepts by agent address and in Kubernetes clusters. */
  public static final class Factory implements io.devproxy.daemon.InterceptsFactory {
    @Override
    public Intercepts create(DevproxyHome home, EventLoopGroup group) throws DevproxyException {
      DaemonConfig config = DaemonConfig.load(home);
      return TunnelIntercepts.create(home, group,
          pki -> new KubeProvisioner(pki, config, KubeClients::open, Clock.systemUTC()));
    }
  }
}

package io.devproxy.agent;

import io.devproxy.agent.admin.AdminServer;
import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.admin.PrometheusText;
import io.devproxy.agent.front.AgentContext;
import io.devproxy.agent.front.FrontInitializer;
import io.devproxy.agent.janitor.LeaseJanitor;
import io.devproxy.agent.routing.SessionRegistry;
import io.devproxy.agent.tunnel.ClientDirectory;
import io.devproxy.agent.tunnel.OutboundDials;
import io.devproxy.agent.tunnel.TunnelService;
import io.devproxy.tunnel.netty.EventLoops;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.upstream.Upstream;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The traffic agent process: the router on the service port, the tunnel server, the admin port and, when
 * configured and the pod's ServiceAccount is mounted, the {@link LeaseJanitor}. Owns its event loops, scheduler,
 * listeners and janitor; {@link #close()} stops them in reverse start order.
 */
public final class TrafficAgent implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(TrafficAgent.class.getName());

  /** The agent's version, from the jar manifest (development builds: "dev"). */
  public static final String VERSION = versionOf(TrafficAgent.class);

  static final Duration HEARTBEAT_SILENCE = Duration.ofSeconds(8);

  private final AgentConfig config;
  private final AgentMetrics metrics = new AgentMetrics();
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private ScheduledExecutorService scheduler;
  private AgentTls tls;
  private Upstream app;
  private SessionRegistry sessions;
  private ClientDirectory clients;
  private Server tunnelServer;
  private Channel frontChannel;
  private AdminServer admin;
  private LeaseJanitor janitor;
  private OutboundDials dials;
  private volatile boolean ready;
  private boolean closed;

  public TrafficAgent(AgentConfig config) {
    this.config = config;
  }

  /** Binds every port. Throws with the port and cause when one cannot be bound. */
  public synchronized TrafficAgent start() throws IOException, InterruptedException {
    tls = AgentTls.watch(config.tlsDir());
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "devproxy-agent-scheduler");
      t.setDaemon(true);
      return t;
    });
    tls.start(scheduler, Duration.ofSeconds(2));
    boss = EventLoops.newGroup("devproxy-agent-accept", 1);
    workers = EventLoops.newGroup("devproxy-agent-io", 0);
    app = config.app() == null ? null : new Upstream(config.app(), config.appProtocol(), Duration.ofSeconds(3));
    sessions = new SessionRegistry(config.sessionGrace(), scheduler);
    clients = new ClientDirectory();
    sessions.onDrop(clients::sessionDropped);
    // Daemons heartbeat every 2 s: a session silent for 8 s has lost its daemon even if TCP has not noticed.
    scheduler.scheduleAtFixedRate(() -> sessions.expireSilent(HEARTBEAT_SILENCE), 1, 1, TimeUnit.SECONDS);

    dials = new OutboundDials(workers, metrics);
    tunnelServer = NettyServerBuilder.forAddress(config.tunnelListen())
        .channelType(NioServerSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .sslContext(tls.serverContext())
        .directExecutor()
        .addService(new TunnelService(sessions, clients, VERSION, dials))
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(15, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .maxConcurrentCallsPerConnection(Integer.MAX_VALUE)
        // grpc-java's default, stated: the daemon's frames are at most a channel read; a bigger one is
        // RESOURCE_EXHAUSTED for that stream only (HostilePeersTest).
        .maxInboundMessageSize(4 * 1024 * 1024)
        // 1 MiB to start, then grown with the link's bandwidth-delay product (grpc-java's BDP pings, up to 8 MiB):
        // a fixed 1 MiB held bulk over a 20 ms round trip to 18 MB/s; auto-tuned, 43 MB/s (bench/run).
        .initialFlowControlWindow(1024 * 1024)
        .build()
        .start();

    AgentContext context = new AgentContext(sessions, clients, app, metrics, Duration.ofSeconds(10));
    frontChannel = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new FrontInitializer(context, config.callerTimeouts()))
        .bind(config.listen()).sync().channel();

    admin = AdminServer.start(config.adminListen(), boss, () -> ready,
        () -> PrometheusText.render(metrics, sessions.sessions(), clients.all()));
    if (config.janitor() != null) {
      janitor = LeaseJanitor.start(config.janitor(), metrics);
    }
    ready = true;
    logger.info(() -> "devproxy traffic agent " + VERSION + " serving " + listenAddress() + " (app: "
        + (app == null ? "none" : app.displayAddress()) + "), tunnel on " + tunnelAddress() + ", admin on "
        + admin.address());
    return this;
  }

  public InetSocketAddress listenAddress() {
    return (InetSocketAddress) frontChannel.localAddress();
  }

  public InetSocketAddress tunnelAddress() {
    return (InetSocketAddress) tunnelServer.getListenSockets().get(0);
  }

  public InetSocketAddress adminAddress() {
    return admin.address();
  }

  public AgentConfig config() {
    return config;
  }

  public AgentMetrics metrics() {
    return metrics;
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  public AgentTls tls() {
    return tls;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ready = false;
    if (janitor != null) {
      janitor.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (frontChannel != null) {
      frontChannel.close().syncUninterruptibly();
    }
    if (tunnelServer != null) {
      tunnelServer.shutdownNow();
      try {
        tunnelServer.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (app != null) {
      app.close();
    }
    if (dials != null) {
      dials.close();
    }
    if (workers != null) {
      workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (tls != null) {
      tls.close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  static String versionOf(Class<?> type) {
    String version = type.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }
}

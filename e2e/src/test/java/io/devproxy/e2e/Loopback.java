package io.devproxy.e2e;

import io.devproxy.agent.AgentConfig;
import io.devproxy.agent.TrafficAgent;
import io.devproxy.agent.front.CallerTimeouts;
import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.netty.EventLoops;
import io.devproxy.tunnel.pki.UserPki;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A traffic agent and a daemon's intercept engine on loopback, as in a pod and on a laptop: the agent with
 * the TLS directory `devproxy certs agent` writes, the daemon with the same user's certificates.
 */
final class Loopback implements AutoCloseable {

  static final String KEY = "alice";

  final Path root;
  final DevproxyHome home;
  final Path tlsDir;
  final EventLoopGroup daemonLoops = EventLoops.newGroup("test-daemon", 2);
  TrafficAgent agent;
  TunnelIntercepts intercepts;
  /** With {@link #withRestServers}: the cluster's copy (the agent's app) and the developer's local copy. */
  RestServer cluster;
  RestServer local;

  Loopback(Path root) throws Exception {
    this.root = root;
    this.home = DevproxyHome.open(root.resolve("home"));
    this.tlsDir = Files.createDirectories(root.resolve("agent-tls"));
    UserPki.loadOrCreate(home.pkiDir(), TunnelIntercepts.ownerName()).writeAgentTlsDir(tlsDir, List.of(), List.of());
  }

  /**
   * The usual REST set-up: a RestServer "cluster" as the agent's app, a RestServer "local" for intercepts,
   * the agent (grace 2 s) and the daemon. {@link #close()} stops them all.
   */
  static Loopback withRestServers(Path root) throws Exception {
    Loopback loopback = new Loopback(root);
    try {
      loopback.cluster = new RestServer("cluster");
      loopback.cluster.start();
      loopback.local = new RestServer("local");
      loopback.local.start();
      loopback.startAgent(loopback.cluster.address(), UpstreamProtocol.AUTO, Duration.ofSeconds(2));
      loopback.startDaemon();
      return loopback;
    } catch (Exception | Error e) {
      loopback.close();
      throw e;
    }
  }

  static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  TrafficAgent startAgent(InetSocketAddress app, UpstreamProtocol protocol, Duration grace) throws Exception {
    return startAgent(app, protocol, grace, CallerTimeouts.DEFAULTS);
  }

  TrafficAgent startAgent(InetSocketAddress app, UpstreamProtocol protocol, Duration grace, CallerTimeouts timeouts)
      throws Exception {
    agent = new TrafficAgent(new AgentConfig(loopback(0), loopback(0), loopback(0), tlsDir, app, protocol, grace,
        Duration.ofSeconds(5), null, timeouts)).start();
    return agent;
  }

  /** Stops the agent and starts a new one on the same ports (a pod restart that keeps its address). */
  TrafficAgent restartAgent() throws Exception {
    AgentConfig previous = agent.config();
    AgentConfig same = new AgentConfig(agent.listenAddress(), agent.tunnelAddress(), agent.adminAddress(),
        previous.tlsDir(), previous.app(), previous.appProtocol(), previous.sessionGrace(), previous.streamWait(),
        previous.janitor(), previous.callerTimeouts());
    agent.close();
    agent = new TrafficAgent(same).start();
    return agent;
  }

  TunnelIntercepts startDaemon() throws Exception {
    intercepts = TunnelIntercepts.create(home, daemonLoops);
    return intercepts;
  }

  InterceptInfo intercept(String name, int localPort, String... headers) throws Exception {
    InterceptRequest.Builder request = InterceptRequest.newBuilder()
        .setName(name)
        .setAgentAddress("127.0.0.1:" + agent.tunnelAddress().getPort())
        .setLocalPort(localPort)
        .setKey(headers.length == 0 ? KEY : "");
    for (String header : headers) {
      request.addHeaders(header);
    }
    return intercepts.intercept(request.build());
  }

  String agentTarget() {
    return "127.0.0.1:" + agent.listenAddress().getPort();
  }

  @Override
  public void close() {
    if (intercepts != null) {
      intercepts.close();
    }
    if (agent != null) {
      agent.close();
    }
    daemonLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    if (local != null) {
      local.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }
}

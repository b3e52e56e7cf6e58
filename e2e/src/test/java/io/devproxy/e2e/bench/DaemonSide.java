package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.netty.EventLoops;
import io.devproxy.tunnel.pki.UserPki;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The developer's end of the bench's intercepts, in the bench's JVM: a {@link DevproxyHome} with the user's
 * certificates, the agent TLS directory {@code devproxy certs agent} would write from them (for {@link
 * AgentUnderTest.Launch}), and the daemon's intercept engine ({@link TunnelIntercepts}) on two event loops of its
 * own, created at the first {@link #intercept}. Every intercept matches the session key {@value #KEY}.
 *
 * <p>{@link #close()} closes the engine (which ends its intercepts) and stops the event loops. Not thread-safe:
 * one bench thread sets intercepts up.
 */
final class DaemonSide implements AutoCloseable {

  /** The session key of every intercept. */
  static final String KEY = "alice";

  /** The header that carries it. */
  static final String SESSION_HEADER = "x-devproxy-session";

  private final DevproxyHome home;
  private final Path agentTlsDir;
  private final EventLoopGroup loops = EventLoops.newGroup("bench-daemon", 2);
  private TunnelIntercepts intercepts;

  private DaemonSide(DevproxyHome home, Path agentTlsDir) {
    this.home = home;
    this.agentTlsDir = agentTlsDir;
  }

  /** A home in {@code work/home} and the agents' TLS directory in {@code work/agent-tls}. */
  static DaemonSide create(Path work) throws Exception {
    DevproxyHome home = DevproxyHome.open(work.resolve("home"));
    Path tlsDir = Files.createDirectories(work.resolve("agent-tls"));
    UserPki.loadOrCreate(home.pkiDir(), TunnelIntercepts.ownerName()).writeAgentTlsDir(tlsDir, List.of(), List.of());
    return new DaemonSide(home, tlsDir);
  }

  /** The TLS directory agents start with ({@code --tls-dir}). */
  Path agentTlsDir() {
    return agentTlsDir;
  }

  /**
   * Intercepts the requests that carry {@value #SESSION_HEADER}: {@value #KEY} at {@code agent} and hands them to
   * {@code localPort} on loopback; returns once the agent has the session. Closing the result leaves the intercept.
   */
  AutoCloseable intercept(String name, AgentUnderTest agent, int localPort) throws Exception {
    return intercept(name, agent.tunnel(), localPort);
  }

  /** As {@link #intercept(String, AgentUnderTest, int)}, to the agent's tunnel port at {@code tunnel}. */
  AutoCloseable intercept(String name, InetSocketAddress tunnel, int localPort) throws Exception {
    requireNonNull(name, "name");
    if (intercepts == null) {
      intercepts = TunnelIntercepts.create(home, loops);
    }
    TunnelIntercepts engine = intercepts;
    engine.intercept(InterceptRequest.newBuilder().setName(name)
        .setAgentAddress(AgentUnderTest.hostPort(tunnel)).setLocalPort(localPort).setKey(KEY).build());
    return () -> engine.leave(name);
  }

  @Override
  public void close() {
    if (intercepts != null) {
      intercepts.close();
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}

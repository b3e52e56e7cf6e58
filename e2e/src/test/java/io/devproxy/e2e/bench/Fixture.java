package io.devproxy.e2e.bench;

import io.devproxy.sandbox.SandboxServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The four routes to one kind of server (REST or Greeter), started in one place: the app ({@code "app"}) and the
 * developer's local copy ({@code "local"}), two servers of the same kind in the bench's JVM; the traffic agent in
 * front of the app (a process of its own, {@link AgentUnderTest}); HAProxy in front of the app; and an intercept of
 * the agent's session traffic to the local copy. Every route is probed once before any load.
 *
 * <p>{@link #close()} stops everything in reverse start order; a failed start stops what it started.
 */
final class Fixture implements AutoCloseable {

  /** One request over a route, which fails unless the expected server answers it. */
  @FunctionalInterface
  interface Probe {
    void check(Route route) throws Exception;
  }

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private List<Route> routes = List.of();
  private AgentUnderTest agent;

  private Fixture() {}

  /**
   * Starts the servers, the agent, HAProxy and the intercept for {@code kind} (which names the intercept and the
   * HAProxy files in {@code work}), then probes every route.
   *
   * @param servers makes a server of the kind, given its {@code who}
   */
  static Fixture start(String kind, Function<String, SandboxServer> servers, Probe probe,
      AgentUnderTest.Launch launch, DaemonSide daemon, Path work) throws Exception {
    return start(kind, servers, probe, launch, daemon, work, Duration.ZERO);
  }

  /**
   * As {@link #start(String, Function, Probe, AgentUnderTest.Launch, DaemonSide, Path)}; with a {@code
   * tunnelDelay} over zero, the daemon reaches the agent's tunnel port through a {@link DelayRelay} adding it each
   * way (a slow link between laptop and cluster), and the routes are only direct and intercepted: the others do
   * not cross the tunnel.
   */
  static Fixture start(String kind, Function<String, SandboxServer> servers, Probe probe,
      AgentUnderTest.Launch launch, DaemonSide daemon, Path work, Duration tunnelDelay) throws Exception {
    Fixture fixture = new Fixture();
    try {
      fixture.startAll(kind, servers, probe, launch, daemon, work, tunnelDelay);
      return fixture;
    } catch (Exception | Error e) {
      fixture.close();
      throw e;
    }
  }

  private void startAll(String kind, Function<String, SandboxServer> servers, Probe probe,
      AgentUnderTest.Launch launch, DaemonSide daemon, Path work, Duration tunnelDelay) throws Exception {
    SandboxServer app = own(servers.apply("app"));
    app.start();
    SandboxServer local = own(servers.apply("local"));
    local.start();
    agent = own(AgentUnderTest.start(launch, app.address()));
    try {
      agent.awaitReady(Duration.ofSeconds(30));
    } catch (Exception e) {
      throw new IllegalStateException("the " + kind + " agent did not start: " + e.getMessage()
          + " (log: " + agent.log() + ")", e);
    }
    Map<String, String> session = Map.of(DaemonSide.SESSION_HEADER, DaemonSide.KEY);
    Route direct = new Route(Route.DIRECT, app.address(), Map.of(), app.who(), null);
    Route intercepted = new Route(Route.INTERCEPTED, agent.listen(), session, local.who(), agent);
    if (tunnelDelay.isZero()) {
      HaproxyFront haproxy = own(HaproxyFront.start(work, kind, app.address()));
      own(daemon.intercept(kind, agent, local.port()));
      routes = List.of(direct, new Route(Route.PASS_THROUGH, agent.listen(), Map.of(), app.who(), agent),
          new Route(Route.HAPROXY, haproxy.address(), Map.of(), app.who(), null), intercepted);
    } else {
      DelayRelay link = own(DelayRelay.start(agent.tunnel(), tunnelDelay));
      own(daemon.intercept(kind, link.address(), local.port()));
      routes = List.of(direct, intercepted);
    }
    for (Route route : routes) {
      try {
        probe.check(route);
      } catch (Exception e) {
        throw new IllegalStateException(kind + " route " + route.name() + " does not work: " + e.getMessage(), e);
      }
    }
  }

  private <T extends AutoCloseable> T own(T resource) {
    started.push(resource);
    return resource;
  }

  /** Direct, pass-through, HAProxy and intercepted, in that order; direct and intercepted over a slow link. */
  List<Route> routes() {
    return routes;
  }

  AgentUnderTest agent() {
    return agent;
  }

  @Override
  public void close() {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        System.err.println("[bench] could not stop " + e.getMessage());
      }
    }
  }
}

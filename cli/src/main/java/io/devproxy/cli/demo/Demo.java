package io.devproxy.cli.demo;

import io.devproxy.cli.Renderer;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.sandbox.http.SampleApp;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.UserPki;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The demo's steps: the cluster's version, the agent in front of it, the local build, the intercept, requests
 * with and without the developer's marker, latency, then leave and quit. Everything started goes into the
 * {@link DemoStack}, which the caller closes whatever happens. {@link #step()} names the step under way, for
 * the failure line.
 */
final class Demo {

  /** The intercept's name. */
  static final String NAME = "demo";

  /** The {@code who} of the sample app standing in for the cluster's version, and of the local build. */
  static final String CLUSTER = "cluster";
  static final String LOCAL = "local";

  static final Duration AGENT_READY_TIMEOUT = Duration.ofSeconds(30);
  static final int AGENT_START_ATTEMPTS = 3;

  private final DemoStack stack;
  private final Renderer renderer;
  private final DemoOutput out;
  private final int calls;
  private final String key = DemoIdentity.sessionKey();
  private volatile String step = "starting";

  /** @param calls gRPC calls per latency measurement */
  Demo(DemoStack stack, Renderer renderer, DemoOutput out, int calls) {
    this.stack = stack;
    this.renderer = renderer;
    this.out = out;
    this.calls = calls;
  }

  /** The step under way, e.g. {@code starting the traffic agent}. */
  String step() {
    return step;
  }

  void run() throws Exception {
    out.title("devproxy demo: an intercept on this machine, with the real agent and daemon processes",
        "(a demo daemon in " + stack.dir() + "; your own daemon and intercepts are untouched)");

    step = "starting the cluster's version";
    SampleApp cluster = stack.add(new SampleApp(CLUSTER));
    InetSocketAddress clusterAddress = cluster.start();
    out.step("the version running in the cluster: SampleApp \"" + CLUSTER + "\" on " + hostPort(clusterAddress));

    step = "starting the traffic agent";
    Path jar = AgentJar.locate();
    writeAgentTls();
    long agentStart = System.nanoTime();
    AgentProcess agent = startAgent(jar, clusterAddress);
    AgentProcess.Ports ports = agent.ports();
    out.step("the traffic agent in front of it: java -jar " + jar.getFileName() + " (pid " + agent.pid() + "), ready in "
        + seconds(System.nanoTime() - agentStart));
    out.detail("service port " + hostPort(ports.listen()) + "   tunnel " + hostPort(ports.tunnel()) + "   admin "
        + hostPort(ports.admin()));

    step = "starting your local build";
    SampleApp local = stack.add(new SampleApp(LOCAL));
    InetSocketAddress localAddress = local.start();
    out.step("your local build: SampleApp \"" + LOCAL + "\" on " + hostPort(localAddress));

    step = "devproxy intercept";
    DemoDaemon daemon = stack.add(stack.daemon());
    InterceptRequest request = InterceptRequest.newBuilder()
        .setName(NAME)
        .setAgentAddress(hostPort(ports.tunnel()))
        .setLocalPort(localAddress.getPort())
        .setLocalProtocol("auto")
        .setKey(key)
        .build();
    out.step("devproxy intercept " + NAME + " --agent-address " + request.getAgentAddress() + " --port "
        + request.getLocalPort() + " --key " + key);
    InterceptInfo info = daemon.intercept(request, renderer);
    out.detail(info.getState().toLowerCase(Locale.ROOT) + ", matching " + info.getMatcher());
    out.detail("demo daemon pid " + daemon.pid() + ", tunnel over mTLS to the agent");

    step = "sending requests";
    out.step("requests to the service port " + hostPort(ports.listen()) + ", as other services would send them");
    try (DemoTraffic traffic = new DemoTraffic(ports.listen(), clusterAddress, key)) {
      DemoRequests requests = new DemoRequests(traffic, out, key, stack::closed);
      requests.send();
      step = "measuring latency";
      requests.measureLatency(calls);
    }

    step = "devproxy leave";
    out.step("devproxy leave " + NAME + "; devproxy quit (the demo daemon)");
    daemon.leave(NAME);
    out.detail("left " + NAME);
    step = "devproxy quit";
    if (!daemon.quit(renderer)) {
      throw new DevproxyException(ErrorCategory.INTERNAL,
          "the demo daemon accepted quit but still runs after " + DemoDaemon.STOP_TIMEOUT.toSeconds() + " s");
    }
    out.detail("daemon stopped");
    step = "stopping the traffic agent";
    if (!agent.stop()) {
      throw new DevproxyException(ErrorCategory.INTERNAL, "the traffic agent (pid " + agent.pid() + ") did not stop");
    }
    out.detail("traffic agent stopped");
    step = "cleaning up";
  }

  /** The agent's TLS directory, written as {@code devproxy certs agent} writes it, by the demo home's CA. */
  private void writeAgentTls() throws DevproxyException {
    try {
      UserPki.loadOrCreate(stack.home().pkiDir(), DemoIdentity.owner())
          .writeAgentTlsDir(stack.agentTlsDir(), List.of(), List.of());
    } catch (IOException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot write the agent's TLS files to " + stack.agentTlsDir() + ": " + e.getMessage(), e);
    }
  }

  /** Starts the agent on three free ports; again on others when one was taken in between. */
  private AgentProcess startAgent(Path jar, InetSocketAddress app) throws DevproxyException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      AgentProcess.Ports ports;
      try {
        ports = AgentProcess.Ports.free();
      } catch (IOException e) {
        throw new DevproxyException(ErrorCategory.CONFIG, "no free loopback port: " + e.getMessage(), e);
      }
      AgentProcess agent =
          stack.add(AgentProcess.start(jar, ports, stack.agentTlsDir(), app, stack.agentLog()));
      try {
        agent.awaitReady(AGENT_READY_TIMEOUT);
        return agent;
      } catch (AgentProcess.AgentExitedException e) {
        if (!e.portTaken() || attempt == AGENT_START_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** {@code 127.0.0.1:8080}, {@code [::1]:8080}. */
  static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}

package io.devproxy.agent;

import io.devproxy.agent.front.CallerTimeouts;
import io.devproxy.agent.janitor.JanitorConfig;
import io.devproxy.tunnel.HostPort;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code java -jar devproxy-traffic-agent.jar}: flags, each also read from an environment variable. */
@Command(name = "devproxy-traffic-agent", mixinStandardHelpOptions = true, versionProvider = AgentMain.Version.class,
    description = "Routes requests on a service port: those matching a developer's session go through the "
        + "tunnel to their machine, the rest to the app.")
public final class AgentMain implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--listen", required = true, defaultValue = "${env:DEVPROXY_LISTEN}", paramLabel = "HOST:PORT",
      converter = HostPortConverter.class, description = "The service port to serve (HTTP/1.1 and h2c). Env: DEVPROXY_LISTEN.")
  InetSocketAddress listen;

  @Option(names = "--tunnel-listen", required = true, defaultValue = "${env:DEVPROXY_TUNNEL_LISTEN}",
      paramLabel = "HOST:PORT", converter = HostPortConverter.class,
      description = "Where developers' daemons connect (mTLS gRPC). Env: DEVPROXY_TUNNEL_LISTEN.")
  InetSocketAddress tunnelListen;

  @Option(names = "--admin-listen", defaultValue = "${env:DEVPROXY_ADMIN_LISTEN:-0.0.0.0:9901}", paramLabel = "HOST:PORT",
      converter = HostPortConverter.class, description = "Probes (/healthz, /readyz) and /metrics. Env: DEVPROXY_ADMIN_LISTEN. Default: ${DEFAULT-VALUE}.")
  InetSocketAddress adminListen;

  @Option(names = "--tls-dir", required = true, defaultValue = "${env:DEVPROXY_TLS_DIR}", paramLabel = "DIR",
      description = "Holds server.crt, server.key and clients-ca.crt; re-read when they change. Env: DEVPROXY_TLS_DIR.")
  Path tlsDir;

  @Option(names = "--app", defaultValue = "${env:DEVPROXY_APP}", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
      description = "Where unmatched requests go; without it they get 503. Env: DEVPROXY_APP.")
  InetSocketAddress app;

  @Option(names = "--app-protocol", defaultValue = "${env:DEVPROXY_APP_PROTOCOL:-auto}", paramLabel = "auto|http1|h2c",
      converter = ProtocolConverter.class, description = "How to speak to the app. Default: ${DEFAULT-VALUE}.")
  UpstreamProtocol appProtocol;

  @Option(names = "--session-grace", defaultValue = "${env:DEVPROXY_SESSION_GRACE:-PT10S}", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long a session survives its daemon's disconnection (ISO-8601 like PT10S, or 10s, 500ms). Default: 10s.")
  Duration sessionGrace;

  @Option(names = "--stream-wait", defaultValue = "${env:DEVPROXY_STREAM_WAIT:-PT10S}", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "How long a matched request waits for a tunnel stream. Default: 10s.")
  Duration streamWait;

  @Option(names = "--request-head-timeout", defaultValue = "${env:DEVPROXY_REQUEST_HEAD_TIMEOUT:-PT30S}",
      paramLabel = "DURATION", converter = TimeoutConverter.class,
      description = "How long a caller may take to send an HTTP/1.1 request head (then 408, closed). Default: 30s.")
  Duration requestHeadTimeout;

  @Option(names = "--idle-timeout", defaultValue = "${env:DEVPROXY_IDLE_TIMEOUT:-PT120S}", paramLabel = "DURATION",
      converter = TimeoutConverter.class,
      description = "How long a caller's connection may stay open with no request in progress. Default: 120s.")
  Duration idleTimeout;

  @Option(names = "--workload", defaultValue = "${env:DEVPROXY_WORKLOAD}", paramLabel = "KIND/NAME",
      description = "The workload whose pods run this agent (Deployment/NAME or StatefulSet/NAME); the lease janitor"
          + " restores it when a developer's session Lease expires. Env: DEVPROXY_WORKLOAD (set by devproxy).")
  String workload;

  @Option(names = "--shadow-service", defaultValue = "${env:DEVPROXY_SHADOW_SERVICE}", paramLabel = "NAME",
      description = "In a shadow copy: its Service, which the lease janitor deletes with the copy."
          + " Env: DEVPROXY_SHADOW_SERVICE (set by devproxy).")
  String shadowService;

  @Option(names = "--lease-janitor", arity = "1", defaultValue = "${env:DEVPROXY_LEASE_JANITOR:-true}",
      paramLabel = "true|false",
      description = "Whether the agent restores its workload itself when a session's Lease expires, if its"
          + " ServiceAccount may (devproxy rbac --agent). Env: DEVPROXY_LEASE_JANITOR. Default: ${DEFAULT-VALUE}.")
  boolean leaseJanitor;

  @Option(names = "--lease-janitor-interval", defaultValue = "${env:DEVPROXY_LEASE_JANITOR_INTERVAL:-PT10S}",
      paramLabel = "DURATION", converter = JanitorIntervalConverter.class,
      description = "How often the lease janitor looks at the session Leases (jittered by 20%%; at least 100ms)."
          + " Env: DEVPROXY_LEASE_JANITOR_INTERVAL. Default: 10s.")
  Duration leaseJanitorInterval;

  @Override
  public Integer call() throws Exception {
    TrafficAgent agent;
    try {
      agent = new TrafficAgent(config()).start();
    } catch (java.io.IOException e) {
      spec.commandLine().getErr().println("devproxy-traffic-agent: " + e.getMessage());
      return 3;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "devproxy-agent-shutdown"));
    stopped.await();
    return 0;
  }

  /** The parsed flags as the agent's configuration. */
  AgentConfig config() {
    return new AgentConfig(listen, tunnelListen, adminListen, tlsDir, app, appProtocol, sessionGrace, streamWait,
        janitorConfig(), new CallerTimeouts(requestHeadTimeout, idleTimeout));
  }

  /**
   * What the lease janitor looks after; null when it is off, or when no workload is named (an agent not injected
   * by devproxy). A bad workload turns the janitor off with a warning rather than stop the agent: the janitor must
   * never cost the app its traffic.
   */
  JanitorConfig janitorConfig() {
    Logger log = Logger.getLogger(AgentMain.class.getName());
    if (!leaseJanitor) {
      log.info("lease janitor off (--lease-janitor=false): developers' daemons clean up after expired sessions");
      return null;
    }
    if (workload == null || workload.isEmpty()) {
      return null;
    }
    try {
      return JanitorConfig.inCluster(workload, shadowService, leaseJanitorInterval);
    } catch (IllegalArgumentException e) {
      log.warning("lease janitor off: --workload (DEVPROXY_WORKLOAD) " + e.getMessage());
      return null;
    }
  }

  public static void main(String[] args) {
    int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Parses {@code args} and, when they are valid, runs the agent until the JVM shuts down.
   *
   * @return the exit code: 2 for bad flags (the message on {@code err} names the flag), 3 when a port or the
   *     TLS directory cannot be used
   */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new AgentMain());
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("devproxy-traffic-agent: " + ex.getMessage());
      ex.getCommandLine().getErr().println("Run 'java -jar devproxy-traffic-agent.jar --help'.");
      return 2;
    });
    return cli.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"devproxy-traffic-agent " + TrafficAgent.VERSION};
    }
  }

  static final class HostPortConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
      return HostPort.parse(value);
    }
  }

  static final class ProtocolConverter implements CommandLine.ITypeConverter<UpstreamProtocol> {
    @Override
    public UpstreamProtocol convert(String value) {
      return UpstreamProtocol.parse(value);
    }
  }

  static final class JanitorIntervalConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration interval = HostPort.parseDuration(value);
      if (interval.compareTo(Duration.ofMillis(100)) < 0) {
        throw new CommandLine.TypeConversionException("'" + value + "' (expected: at least 100ms)");
      }
      return interval;
    }
  }

  static final class TimeoutConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration timeout = HostPort.parseDuration(value);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new CommandLine.TypeConversionException("'" + value + "' (expected: more than 0)");
      }
      return timeout;
    }
  }

  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return HostPort.parseDuration(value);
    }
  }
}

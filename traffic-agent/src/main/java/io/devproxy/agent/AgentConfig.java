package io.devproxy.agent;

import static java.util.Objects.requireNonNull;

import io.devproxy.agent.front.CallerTimeouts;
import io.devproxy.agent.janitor.JanitorConfig;
import io.devproxy.tunnel.upstream.UpstreamProtocol;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a traffic agent is told to do.
 *
 * @param listen the service port it takes over (HTTP/1.1 and h2c)
 * @param tunnelListen where daemons connect (mTLS gRPC)
 * @param adminListen probes and metrics
 * @param tlsDir holds server.crt, server.key, clients-ca.crt; re-read when it changes
 * @param app where unmatched requests go, or null (they get 503)
 * @param appProtocol how to speak to the app
 * @param sessionGrace how long a session outlives its daemon's connection
 * @param streamWait how long a matched request waits for a tunnel stream
 * @param janitor what the lease janitor looks after; null for none (not in a pod devproxy injected, or turned off)
 * @param callerTimeouts the request-head and idle timeouts of callers' connections on the service port
 */
public record AgentConfig(InetSocketAddress listen, InetSocketAddress tunnelListen, InetSocketAddress adminListen,
    Path tlsDir, InetSocketAddress app, UpstreamProtocol appProtocol, Duration sessionGrace, Duration streamWait,
    JanitorConfig janitor, CallerTimeouts callerTimeouts) {

  /** An agent without a lease janitor, with the default {@link CallerTimeouts}. */
  public AgentConfig(InetSocketAddress listen, InetSocketAddress tunnelListen, InetSocketAddress adminListen,
      Path tlsDir, InetSocketAddress app, UpstreamProtocol appProtocol, Duration sessionGrace, Duration streamWait) {
    this(listen, tunnelListen, adminListen, tlsDir, app, appProtocol, sessionGrace, streamWait, null,
        CallerTimeouts.DEFAULTS);
  }

  public AgentConfig {
    requireNonNull(listen, "listen");
    requireNonNull(tunnelListen, "tunnelListen");
    requireNonNull(adminListen, "adminListen");
    requireNonNull(tlsDir, "tlsDir");
    requireNonNull(appProtocol, "appProtocol");
    requireNonNull(sessionGrace, "sessionGrace");
    requireNonNull(streamWait, "streamWait");
    requireNonNull(callerTimeouts, "callerTimeouts");
  }
}

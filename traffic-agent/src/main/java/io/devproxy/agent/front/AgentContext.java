package io.devproxy.agent.front;

import io.devproxy.agent.admin.AgentMetrics;
import io.devproxy.agent.routing.SessionRegistry;
import io.devproxy.agent.tunnel.ClientDirectory;
import io.devproxy.tunnel.upstream.Upstream;
import java.time.Duration;

/**
 * What every front exchange needs. {@code app} is null when the agent has no app (swap and shadow modes).
 *
 * @param streamWait how long a matched exchange waits for the daemon to offer a stream before answering 503
 */
public record AgentContext(SessionRegistry sessions, ClientDirectory clients, Upstream app, AgentMetrics metrics,
    Duration streamWait) {}

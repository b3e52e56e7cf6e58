package io.devproxy.agent.admin;

import io.devproxy.agent.routing.Session;
import io.devproxy.agent.tunnel.ClientStreams;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Renders the agent's metrics in the Prometheus text exposition format. */
public final class PrometheusText {

  private PrometheusText() {}

  public static String render(AgentMetrics metrics, List<Session> sessions, Collection<ClientStreams> clients) {
    StringBuilder out = new StringBuilder(1024);
    out.append("# HELP devproxy_agent_requests_total Requests by where they were routed.\n");
    out.append("# TYPE devproxy_agent_requests_total counter\n");
    for (AgentMetrics.Route route : AgentMetrics.Route.values()) {
      out.append("devproxy_agent_requests_total{route=\"").append(route.name().toLowerCase(Locale.ROOT))
          .append("\"} ").append(metrics.requests(route)).append('\n');
    }
    out.append("# HELP devproxy_agent_tunnel_streams Exchanges currently carried by tunnel streams.\n");
    out.append("# TYPE devproxy_agent_tunnel_streams gauge\n");
    out.append("devproxy_agent_tunnel_streams ").append(metrics.activeTunnelExchanges()).append('\n');
    out.append("# HELP devproxy_agent_tunnel_exchanges_total Exchanges carried by tunnel streams.\n");
    out.append("# TYPE devproxy_agent_tunnel_exchanges_total counter\n");
    out.append("devproxy_agent_tunnel_exchanges_total ").append(metrics.tunnelExchanges()).append('\n');
    out.append("# HELP devproxy_agent_tunnel_stream_waits_total Matched exchanges that found no idle stream and waited for one.\n");
    out.append("# TYPE devproxy_agent_tunnel_stream_waits_total counter\n");
    out.append("devproxy_agent_tunnel_stream_waits_total ").append(metrics.streamWaits()).append('\n');
    out.append("# HELP devproxy_agent_dials_total Outbound connections daemons asked this agent to make, by result.\n");
    out.append("# TYPE devproxy_agent_dials_total counter\n");
    for (AgentMetrics.DialResult result : AgentMetrics.DialResult.values()) {
      out.append("devproxy_agent_dials_total{result=\"").append(result.name().toLowerCase(Locale.ROOT)).append("\"} ")
          .append(metrics.dials(result)).append('\n');
    }
    out.append("# HELP devproxy_agent_dials_open Outbound connections open for daemons.\n");
    out.append("# TYPE devproxy_agent_dials_open gauge\n");
    out.append("devproxy_agent_dials_open ").append(metrics.activeDials()).append('\n');
    out.append("# HELP devproxy_agent_lease_cleanups_total Expired session Leases this agent cleaned up after"
        + " (workload restored, Lease deleted), and attempts that failed.\n");
    out.append("# TYPE devproxy_agent_lease_cleanups_total counter\n");
    out.append("devproxy_agent_lease_cleanups_total{result=\"done\"} ").append(metrics.leaseCleanupsDone()).append('\n');
    out.append("devproxy_agent_lease_cleanups_total{result=\"failed\"} ").append(metrics.leaseCleanupsFailed())
        .append('\n');
    int idle = 0;
    int waiting = 0;
    for (ClientStreams streams : clients) {
      idle += streams.idleCount();
      waiting += streams.waiting();
    }
    out.append("# HELP devproxy_agent_tunnel_idle_streams Idle exchange streams offered by daemons.\n");
    out.append("# TYPE devproxy_agent_tunnel_idle_streams gauge\n");
    out.append("devproxy_agent_tunnel_idle_streams ").append(idle).append('\n');
    out.append("# HELP devproxy_agent_tunnel_waiting Exchanges waiting for a stream.\n");
    out.append("# TYPE devproxy_agent_tunnel_waiting gauge\n");
    out.append("devproxy_agent_tunnel_waiting ").append(waiting).append('\n');
    out.append("# HELP devproxy_agent_sessions Sessions by state.\n");
    out.append("# TYPE devproxy_agent_sessions gauge\n");
    long connected = sessions.stream().filter(Session::connected).count();
    out.append("devproxy_agent_sessions{state=\"connected\"} ").append(connected).append('\n');
    out.append("devproxy_agent_sessions{state=\"grace\"} ").append(sessions.size() - connected).append('\n');
    out.append("# HELP devproxy_agent_session_requests_total Requests matched, per session.\n");
    out.append("# TYPE devproxy_agent_session_requests_total counter\n");
    for (Session session : sessions) {
      out.append("devproxy_agent_session_requests_total{session=\"").append(escape(session.id()))
          .append("\",owner=\"").append(escape(String.valueOf(session.owner()))).append("\"} ")
          .append(session.requests()).append('\n');
    }
    return out.toString();
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}

package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One way from the bench's clients to a kind of server, a row of every table: its name in the report, the address
 * clients connect to, the headers they add to every request, the server that must answer ({@code x-served-by}, or a
 * reply's {@code served_by}), and the traffic agent on the way, whose CPU and RSS the report shows (null if none).
 */
record Route(String name, InetSocketAddress target, Map<String, String> headers, String expectWho,
    AgentUnderTest agent) {

  /** Client → server. Ratios in the report are to the route of this name. */
  static final String DIRECT = "direct";
  /** Client → agent → app, no session header. */
  static final String PASS_THROUGH = "pass-through";
  /** Client → HAProxy → app: the proxy the agent is measured against. */
  static final String HAPROXY = "haproxy";
  /** Client with the session header → agent → mTLS tunnel → daemon → local server. */
  static final String INTERCEPTED = "intercepted";

  Route {
    requireNonNull(name, "name");
    requireNonNull(target, "target");
    headers = Map.copyOf(headers);
    requireNonNull(expectWho, "expectWho");
  }
}

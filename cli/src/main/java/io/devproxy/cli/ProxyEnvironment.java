package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.StatusReply;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The environment that sends a command's connections into the cluster through the daemon's outbound proxy (SOCKS5 and
 * HTTP on one loopback port; an agent dials each connection from its pod, so cluster names resolve there). Loopback
 * stays direct, so the command still reaches its own machine and the {@code --forward} ports.
 */
final class ProxyEnvironment {

  /** The hosts every client keeps off the proxy. */
  static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "::1");

  private ProxyEnvironment() {}

  /** The daemon's outbound proxy; empty when it has none (no intercept has started one). */
  static Optional<Outbound> outbound(StatusReply status) {
    Outbound outbound = status.getOutbound();
    return status.hasOutbound() && outbound.getPort() > 0 && !outbound.getHost().isEmpty()
        ? Optional.of(outbound)
        : Optional.empty();
  }

  /**
   * What a command runs with on top of the CLI's own environment {@code own}: {@code imported} (an intercepted
   * container's variables), then, with an outbound proxy, the proxy variables, which see {@code own} and
   * {@code imported} as inherited values to merge with.
   *
   * @return the variables to set, in that order
   */
  static Map<String, String> over(Map<String, String> own, List<EnvVar> imported, Optional<Outbound> outbound) {
    Map<String, String> set = new LinkedHashMap<>();
    imported.forEach(v -> set.put(v.getName(), v.getValue()));
    if (outbound.isPresent()) {
      Map<String, String> inherited = new LinkedHashMap<>(own);
      inherited.putAll(set);
      set.putAll(variables(outbound.get().getHost(), outbound.get().getPort(), inherited));
    }
    return set;
  }

  /**
   * The proxy variables for the proxy at {@code host:port}, given what the command would otherwise inherit:
   *
   * <ul>
   *   <li>{@code ALL_PROXY}/{@code all_proxy} {@code socks5h://H:P}: curl and libraries that take a SOCKS proxy;
   *       the {@code h} makes the proxy, not the client, resolve names.
   *   <li>{@code HTTP_PROXY}/{@code http_proxy} and {@code HTTPS_PROXY}/{@code https_proxy} {@code http://H:P}:
   *       plain HTTP goes as absolute-form requests, everything else as CONNECT (Go, Python, curl; gRPC C-core and
   *       grpc-js read them too).
   *   <li>{@code grpc_proxy} {@code http://H:P}: gRPC C-core (Python grpcio, Ruby, C++) and grpc-js read it first.
   *   <li>{@code NO_PROXY}/{@code no_proxy}: {@link #LOOPBACK} added to the inherited entries of both, each once.
   *   <li>{@code JAVA_TOOL_OPTIONS}: the inherited value (a JDWP agent, memory flags) with the proxy properties
   *       appended; see {@link #javaToolOptions}.
   * </ul>
   *
   * <p>{@code GRPC_PROXY_EXP} is left alone on purpose: grpc-java 1.85 no longer reads it, and the versions that did
   * proxied every target with it, loopback included, which would send calls to a {@code --forward} port into the
   * cluster. grpc-java takes {@code https.proxyHost} from {@code JAVA_TOOL_OPTIONS} instead.
   */
  static Map<String, String> variables(String host, int port, Map<String, String> inherited) {
    requireNonNull(host, "host");
    requireNonNull(inherited, "inherited");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
    String authority = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    String http = "http://" + authority;
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ALL_PROXY", "socks5h://" + authority);
    env.put("all_proxy", "socks5h://" + authority);
    env.put("HTTP_PROXY", http);
    env.put("http_proxy", http);
    env.put("HTTPS_PROXY", http);
    env.put("https_proxy", http);
    env.put("grpc_proxy", http);
    String noProxy = noProxy(inherited.get("NO_PROXY"), inherited.get("no_proxy"));
    env.put("NO_PROXY", noProxy);
    env.put("no_proxy", noProxy);
    env.put("JAVA_TOOL_OPTIONS", javaToolOptions(host, port, inherited.get("JAVA_TOOL_OPTIONS")));
    return env;
  }

  /** The inherited entries of both variables (comma-separated), then {@link #LOOPBACK}, each once, in that order. */
  static String noProxy(String upper, String lower) {
    Set<String> hosts = new LinkedHashSet<>();
    for (String list : new String[] {upper, lower}) {
      if (list != null) {
        for (String entry : list.split(",")) {
          if (!entry.isBlank()) {
            hosts.add(entry.strip());
          }
        }
      }
    }
    hosts.addAll(LOOPBACK);
    return String.join(",", hosts);
  }

  /**
   * {@code inherited} (may be null) followed by the proxy properties.
   *
   * <p>What a JVM does with them (checked on JDK 17): every HotSpot JVM the command starts reads
   * {@code JAVA_TOOL_OPTIONS}, split at white space (hence no quotes and no spaces in the values), and says
   * {@code Picked up JAVA_TOOL_OPTIONS: ...} on stderr; a later {@code -D} of a property wins, so ours override the
   * user's proxy settings and keep everything else. {@code java.net.ProxySelector.getDefault()} (DefaultProxySelector)
   * then answers {@code http://} URIs (HttpURLConnection, java.net.http.HttpClient) with {@code http.proxyHost} and
   * {@code https://} URIs with {@code https.proxyHost} (CONNECT), both skipping the hosts in
   * {@code http.nonProxyHosts} (https has no list of its own); it answers {@code socket://} URIs, which a plain
   * {@code java.net.Socket} asks for, with {@code socksProxyHost}, skipping {@code socksNonProxyHosts}, whose built-in
   * default already is {@code localhost|127.*|[::1]}. HTTP proxies get the host name unresolved; a SOCKS proxy only
   * when the socket was given an unresolved address ({@code new Socket(host, port)} and most JDBC drivers resolve
   * locally first, and fail on cluster names). NIO channels, hence Netty, use no proxy at all. grpc-java's default
   * ProxyDetector asks the ProxySelector for {@code https://HOST:PORT} and CONNECTs with the name unresolved.
   */
  static String javaToolOptions(String host, int port, String inherited) {
    String properties = "-DsocksProxyHost=" + host + " -DsocksProxyPort=" + port
        + " -Dhttp.proxyHost=" + host + " -Dhttp.proxyPort=" + port
        + " -Dhttps.proxyHost=" + host + " -Dhttps.proxyPort=" + port
        + " -Dhttp.nonProxyHosts=localhost|127.*|[::1]";
    return inherited == null || inherited.isBlank() ? properties : inherited.strip() + " " + properties;
  }
}

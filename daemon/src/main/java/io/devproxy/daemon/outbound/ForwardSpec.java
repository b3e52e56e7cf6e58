package io.devproxy.daemon.outbound;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * One {@code --forward SERVICE:PORT[:LOCAL_PORT]}: connections to the loopback port {@code localPort} are
 * dialed on to {@code host:port} from inside the cluster.
 *
 * @param host the service name as the user gave it, resolved by the cluster's DNS: {@code orders},
 *     {@code orders.shop} or {@code orders.shop.svc.cluster.local}
 * @param port the service port, 1-65535
 * @param localPort the loopback port to listen on, 0-65535; 0 picks a free port
 */
public record ForwardSpec(String host, int port, int localPort) {

  private static final String EXPECTED =
      " (expected SERVICE:PORT[:LOCAL_PORT], e.g. orders:8080 or orders.shop:50051:15051)";
  private static final Pattern NAME =
      Pattern.compile("(?i)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  public ForwardSpec {
    requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
    if (localPort < 0 || localPort > 65535) {
      throw new IllegalArgumentException("localPort: " + localPort + " (expected: 0-65535)");
    }
  }

  /**
   * Parses {@code SERVICE:PORT[:LOCAL_PORT]}; LOCAL_PORT defaults to PORT.
   *
   * @throws IllegalArgumentException with the one line the user reads, e.g. {@code --forward orders:abc: PORT
   *     must be a number 1-65535 (expected SERVICE:PORT[:LOCAL_PORT], e.g. orders:8080 or ...)}
   */
  public static ForwardSpec parse(String spec) {
    requireNonNull(spec, "spec");
    if (spec.contains("/")) {
      throw invalid(spec, "give a service name and port, not a URL");
    }
    String[] parts = spec.split(":", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw invalid(spec, "needs a SERVICE and a PORT");
    }
    String host = parts[0];
    if (host.isEmpty()) {
      throw invalid(spec, "SERVICE is missing");
    }
    if (host.length() > 253 || !NAME.matcher(host).matches()) {
      throw invalid(spec, "SERVICE '" + host + "' is not a DNS name like orders or orders.shop");
    }
    int port = number(parts[1], 1);
    if (port < 0) {
      throw invalid(spec, "PORT must be a number 1-65535");
    }
    int localPort = port;
    if (parts.length == 3) {
      localPort = number(parts[2], 0);
      if (localPort < 0) {
        throw invalid(spec, "LOCAL_PORT must be a number 0-65535 (0 picks a free port)");
      }
    }
    return new ForwardSpec(host, port, localPort);
  }

  /** {@code SERVICE:PORT[:LOCAL_PORT]}, LOCAL_PORT only when it differs from PORT: what the user would write. */
  @Override
  public String toString() {
    return localPort == port ? host + ":" + port : host + ":" + port + ":" + localPort;
  }

  /** The number in {@code text} when it lies in {@code min}-65535, else -1. */
  private static int number(String text, int min) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int n = Integer.parseInt(text);
    return n >= min && n <= 65535 ? n : -1;
  }

  private static IllegalArgumentException invalid(String spec, String problem) {
    return new IllegalArgumentException("--forward " + spec + ": " + problem + EXPECTED);
  }
}

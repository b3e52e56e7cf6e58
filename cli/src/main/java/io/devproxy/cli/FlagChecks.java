package io.devproxy.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Checks flag values before anything is sent to the daemon. Each failure is a {@link ParameterException}
 * whose message names the flag, then the value, then what was expected: {@code --port: 0 (expected: 1-65535)}.
 */
final class FlagChecks {

  static final List<String> LOCAL_PROTOCOLS = List.of("auto", "http1", "h2c");

  private static final Pattern SERVICE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  /** RFC 9110 token, optionally a pseudo-header such as {@code :authority}. */
  private static final Pattern HEADER_NAME = Pattern.compile(":?[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,6})([smh])?");
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final Pattern DNS_NAME =
      Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  private static final Pattern HOST_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private final CommandSpec spec;

  FlagChecks(CommandSpec spec) {
    this.spec = spec;
  }

  ParameterException fail(String flag, String value, String expected) {
    return new ParameterException(spec.commandLine(), flag + ": '" + value + "' (expected: " + expected + ")");
  }

  void port(String flag, int port) {
    if (port < 1 || port > 65535) {
      throw new ParameterException(spec.commandLine(), flag + ": " + port + " (expected: 1-65535)");
    }
  }

  /** A port number 1-65535 given as text, part of {@code whole}; returns it. */
  int portNumber(String flag, String value, String whole, String expected) {
    if (value.isEmpty() || value.length() > 5 || !value.chars().allMatch(Character::isDigit)) {
      throw fail(flag, whole, expected);
    }
    int number = Integer.parseInt(value);
    port(flag, number);
    return number;
  }

  /** The REMOTE of {@code LOCAL:REMOTE}: a port number, or a port name as Kubernetes allows (IANA_SVC_NAME). */
  void remotePort(String flag, String remote, String whole) {
    boolean number = !remote.isEmpty() && remote.length() <= 5 && remote.chars().allMatch(Character::isDigit);
    if (number) {
      port(flag, Integer.parseInt(remote));
    } else if (!PORT_NAME.matcher(remote).matches() || !remote.matches(".*[a-z].*") || remote.contains("--")) {
      throw fail(flag, whole, "LOCAL:REMOTE with REMOTE a Service port number or name such as http or grpc");
    }
  }

  /**
   * {@code SERVICE:PORT[:LOCAL_PORT]}: a name the agent resolves (svc, svc.ns, a full name or an IPv4 address), a
   * port number, and optionally the local port (default: PORT; 0: the daemon picks one). The daemon checks the rest.
   */
  void forward(String flag, String spec) {
    String expected = "SERVICE:PORT[:LOCAL_PORT], e.g. orders.shop:50051 or orders:50051:15051";
    String[] parts = spec.split(":", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].length() > 253 || !HOST_NAME.matcher(parts[0]).matches()) {
      throw fail(flag, spec, expected);
    }
    portNumber(flag, parts[1], spec, expected);
    if (parts.length == 3 && !parts[2].equals("0")) {
      portNumber(flag, parts[2], spec, expected);
    }
  }

  /**
   * A command to run came after {@code --}: picocli also takes a stray positional argument for it, e.g. the
   * {@code sh} of {@code intercept orders --port 8080 sh}.
   */
  void commandAfterDashes(List<String> command) {
    if (!command.isEmpty() && !spec.commandLine().getParseResult().originalArgs().contains("--")) {
      throw new ParameterException(spec.commandLine(), "unexpected argument '" + command.get(0)
          + "'; to run a command, put it after '--'");
    }
  }

  /** {@code flag} set to {@code value} excludes every other flag in {@code others} (name, value pairs) that is set. */
  void notWith(String flag, String value, String... others) {
    for (int i = 0; i < others.length; i += 2) {
      if (others[i + 1] != null) {
        throw new ParameterException(spec.commandLine(), others[i] + " cannot be combined with " + flag
            + " (that agent is already running); leave one of them out");
      }
    }
  }

  /** A container image reference: no spaces, no scheme, not empty. */
  void image(String flag, String image) {
    if (image.isEmpty() || image.contains("://") || image.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw fail(flag, image, "an image reference such as registry.example.com/devproxy/traffic-agent:1.0");
    }
  }

  /** {@code 90s}, {@code 5m}, {@code 1h} or a number of seconds; at least one second. */
  Duration duration(String flag, String text) {
    java.util.regex.Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      throw fail(flag, text, "a duration such as 90s, 5m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2) == null ? "s" : m.group(2)) {
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    if (d.isZero() || d.compareTo(Duration.ofHours(1)) > 0) {
      throw fail(flag, text, "between 1s and 1h");
    }
    return d;
  }

  void serviceName(String flag, String name) {
    if (!SERVICE_NAME.matcher(name).matches()) {
      throw fail(flag, name, "a Service name: lowercase letters, digits and '-', at most 63");
    }
  }

  /** {@code HOST:PORT}, with an IPv6 host in brackets. */
  void hostPort(String flag, String address) {
    int colon = address.lastIndexOf(':');
    String host = colon > 0 ? address.substring(0, colon) : "";
    String port = colon > 0 ? address.substring(colon + 1) : "";
    if (host.startsWith("[") != host.endsWith("]")) {
      throw fail(flag, address, "HOST:PORT, an IPv6 host in brackets");
    }
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw fail(flag, address, "HOST:PORT, an IPv6 host in brackets");
    }
    if (host.isEmpty() || port.isEmpty() || !port.chars().allMatch(Character::isDigit) || host.contains(" ")) {
      throw fail(flag, address, "HOST:PORT");
    }
    int number = port.length() > 5 ? Integer.MAX_VALUE : Integer.parseInt(port);
    if (number < 1 || number > 65535) {
      throw new ParameterException(
          spec.commandLine(), flag + ": port " + port + " in '" + address + "' (expected: 1-65535)");
    }
  }

  /** {@code name=value} (exact) or {@code name=~regex}, the regex compilable. */
  void header(String flag, String header) {
    int equals = header.indexOf('=');
    if (equals <= 0) {
      throw fail(flag, header, "NAME=VALUE or NAME=~REGEX");
    }
    String name = header.substring(0, equals);
    if (!HEADER_NAME.matcher(name).matches()) {
      throw new ParameterException(
          spec.commandLine(), flag + ": '" + header + "': '" + name + "' is not a valid header name");
    }
    String value = header.substring(equals + 1);
    if (value.startsWith("~")) {
      String regex = value.substring(1);
      if (regex.isEmpty()) {
        throw fail(flag, header, "a regex after '=~'");
      }
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new ParameterException(
            spec.commandLine(),
            flag + ": '" + header + "' has an invalid regex: " + e.getDescription() + " near index " + e.getIndex());
      }
    }
  }

  void localProtocol(String flag, String protocol) {
    if (!LOCAL_PROTOCOLS.contains(protocol)) {
      throw fail(flag, protocol, "auto, http1 or h2c");
    }
  }

  void pathPrefix(String flag, String prefix) {
    if (!prefix.startsWith("/") || prefix.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw fail(flag, prefix, "a path starting with '/', without spaces");
    }
  }

  void key(String flag, String key) {
    if (!KEY.matcher(key).matches()) {
      throw fail(flag, key, "letters, digits, '.', '_' or '-', at most 63");
    }
  }

  void dnsName(String flag, String name) {
    if (name.length() > 253 || !DNS_NAME.matcher(name).matches()) {
      throw fail(flag, name, "a DNS name such as web.shop.svc");
    }
  }

  /** An IPv4 or IPv6 literal; never a host name (nothing is looked up). */
  void ipLiteral(String flag, String ip) {
    boolean v4 = IPV4.matcher(ip).matches();
    boolean v6 = IPV6.matcher(ip).matches();
    if (v4) {
      for (String part : ip.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          throw fail(flag, ip, "an IPv4 or IPv6 address");
        }
      }
      return;
    }
    if (v6) {
      try {
        // A literal with ':' is parsed, never resolved.
        InetAddress.getByName(ip.toLowerCase(Locale.ROOT));
        return;
      } catch (UnknownHostException e) {
        // fall through
      }
    }
    throw fail(flag, ip, "an IPv4 or IPv6 address");
  }

  /** Completion candidates for {@code --local-protocol}. */
  static final class LocalProtocols implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return LOCAL_PROTOCOLS.iterator();
    }
  }

  static CommandLine.ParameterException missingSubcommand(CommandSpec spec) {
    return new ParameterException(
        spec.commandLine(),
        "missing command; one of: " + String.join(", ", spec.subcommands().keySet()));
  }
}

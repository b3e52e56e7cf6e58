package io.devproxy.daemon.outbound;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The head of a request to the outbound proxy (RFC 9112): {@code CONNECT host:port} (authority-form) or an
 * absolute-form request such as {@code GET http://orders:8080/path HTTP/1.1}, which is what clients that honour
 * {@code HTTP_PROXY} send for {@code http://} URLs. Only the head is parsed; the body is never decoded.
 *
 * <p>Immutable.
 */
final class HttpProxyRequest {

  /** Hop-by-hop headers a proxy does not forward (RFC 9110 section 7.6.1), plus the proxy's own credentials. */
  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "trailer", "upgrade");

  private final String method;
  private final String version;
  private final String host;
  private final int port;
  private final String authority;
  private final String originForm;
  private final List<String> headerLines;

  private HttpProxyRequest(String method, String version, String host, int port, String authority,
      String originForm, List<String> headerLines) {
    this.method = method;
    this.version = version;
    this.host = host;
    this.port = port;
    this.authority = authority;
    this.originForm = originForm;
    this.headerLines = headerLines;
  }

  /**
   * Parses a request head, up to and including its empty line, decoded as ISO-8859-1.
   *
   * @param proxyAddress the proxy's {@code host:port}, for the message to a client that did not use it as a proxy
   * @throws IllegalArgumentException saying what is wrong, the body of the 400 response
   */
  static HttpProxyRequest parse(String head, String proxyAddress) {
    List<String> lines = new ArrayList<>(List.of(head.split("\n", -1)));
    lines.replaceAll(line -> line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    // RFC 9112 section 2.2: empty lines before the request line are ignored.
    while (!lines.isEmpty() && lines.get(0).isEmpty()) {
      lines.remove(0);
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("devproxy: empty request");
    }
    String[] requestLine = lines.get(0).split(" ", -1);
    if (requestLine.length != 3 || requestLine[0].isEmpty() || !requestLine[2].startsWith("HTTP/1.")) {
      throw new IllegalArgumentException("devproxy: malformed request line '" + printable(lines.get(0))
          + "' (expected: METHOD TARGET HTTP/1.1)");
    }
    String method = requestLine[0];
    String target = requestLine[1];
    List<String> headerLines = lines.subList(1, lines.size());
    for (String line : headerLines) {
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.charAt(colon - 1) == ' ') {
        throw new IllegalArgumentException("devproxy: malformed header line '" + printable(line) + "'");
      }
    }
    if (method.equals("CONNECT")) {
      int[] port = new int[1];
      String host = hostAndPort(target, -1, port);
      return new HttpProxyRequest(method, requestLine[2], host, port[0], target, null, List.copyOf(headerLines));
    }
    if (target.startsWith("/") || target.equals("*")) {
      throw new IllegalArgumentException("this is devproxy's outbound proxy; send requests through it as a proxy,"
          + " e.g. curl -x http://" + proxyAddress + " http://orders:8080/");
    }
    if (!target.regionMatches(true, 0, "http://", 0, 7)) {
      throw new IllegalArgumentException("devproxy: cannot proxy '" + printable(target) + "': only http:// URLs"
          + " are proxied as requests; other traffic goes through CONNECT or SOCKS5");
    }
    String rest = target.substring(7);
    int pathStart = firstOf(rest, "/?#");
    String authority = rest.substring(0, pathStart);
    authority = authority.substring(authority.lastIndexOf('@') + 1);
    String path = rest.substring(pathStart);
    int fragment = path.indexOf('#');
    if (fragment >= 0) {
      path = path.substring(0, fragment);
    }
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    int[] port = new int[1];
    String host = hostAndPort(authority, 80, port);
    return new HttpProxyRequest(method, requestLine[2], host, port[0], authority, path, List.copyOf(headerLines));
  }

  boolean isConnect() {
    return originForm == null;
  }

  String method() {
    return method;
  }

  /** The host to dial: a name as given, an IPv6 literal without brackets. */
  String host() {
    return host;
  }

  int port() {
    return port;
  }

  /**
   * The head to send to the origin server: the request line in origin-form, {@code Host} from the URI (RFC 9112
   * section 3.2.2), the client's other end-to-end headers, and {@code Connection: close}, so that the connection
   * carries this one request (or {@code Connection: upgrade} with the {@code Upgrade} header when the client asks
   * to switch protocols, e.g. to WebSocket).
   */
  byte[] originFormHead() {
    Set<String> nominated = new HashSet<>();
    String upgrade = null;
    for (String line : headerLines) {
      String name = name(line);
      if (name.equals("connection") || name.equals("proxy-connection")) {
        for (String token : value(line).split(",")) {
          nominated.add(token.strip().toLowerCase(Locale.ROOT));
        }
      } else if (name.equals("upgrade")) {
        upgrade = value(line);
      }
    }
    boolean upgrading = upgrade != null && nominated.contains("upgrade");
    StringBuilder head = new StringBuilder(256)
        .append(method).append(' ').append(originForm).append(' ').append(version).append("\r\n")
        .append("Host: ").append(authority).append("\r\n");
    for (String line : headerLines) {
      String name = name(line);
      if (!name.equals("host") && !HOP_BY_HOP.contains(name) && !nominated.contains(name)) {
        head.append(line).append("\r\n");
      }
    }
    if (upgrading) {
      head.append("Connection: upgrade\r\nUpgrade: ").append(upgrade).append("\r\n");
    } else {
      head.append("Connection: close\r\n");
    }
    return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * {@code host:port} or {@code [v6]:port}; {@code defaultPort} -1 when the port is required. Stores the port in
   * {@code port[0]} and returns the host, brackets removed.
   */
  private static String hostAndPort(String authority, int defaultPort, int[] port) {
    String expected = defaultPort < 0 ? " (expected: HOST:PORT, e.g. orders.shop:443)" : " (expected: HOST[:PORT])";
    String host;
    String portText;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0 || (close + 1 < authority.length() && authority.charAt(close + 1) != ':')) {
        throw new IllegalArgumentException("devproxy: bad address '" + printable(authority) + "'" + expected);
      }
      host = authority.substring(1, close);
      portText = close + 1 < authority.length() ? authority.substring(close + 2) : null;
    } else {
      int colon = authority.lastIndexOf(':');
      if (colon >= 0 && authority.indexOf(':') != colon) {
        throw new IllegalArgumentException("devproxy: bad address '" + printable(authority) + "'"
            + " (an IPv6 address goes in brackets: [ADDRESS]:PORT)");
      }
      host = colon < 0 ? authority : authority.substring(0, colon);
      portText = colon < 0 ? null : authority.substring(colon + 1);
    }
    if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
      throw new IllegalArgumentException("devproxy: bad address '" + printable(authority) + "'" + expected);
    }
    if (portText == null || (portText.isEmpty() && defaultPort > 0)) {
      if (defaultPort < 0) {
        throw new IllegalArgumentException("devproxy: CONNECT " + printable(authority) + " has no port" + expected);
      }
      port[0] = defaultPort;
      return host;
    }
    int n = -1;
    if (!portText.isEmpty() && portText.length() <= 5 && portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
      n = Integer.parseInt(portText);
    }
    if (n < 1 || n > 65535) {
      throw new IllegalArgumentException("devproxy: bad port in '" + printable(authority) + "'" + expected);
    }
    port[0] = n;
    return host;
  }

  private static int firstOf(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }

  private static String name(String line) {
    return line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT);
  }

  private static String value(String line) {
    return line.substring(line.indexOf(':') + 1).strip();
  }

  /** {@code s} shortened and without control characters, to quote in a one-line message. */
  private static String printable(String s) {
    String shown = s.length() > 100 ? s.substring(0, 100) + "..." : s;
    return shown.replaceAll("[\\p{Cntrl}]", "?");
  }
}

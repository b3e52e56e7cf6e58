package io.devproxy.tunnel;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Parses the address and duration syntax of devproxy's flags, with messages that say what was expected. */
public final class HostPort {

  private HostPort() {}

  /**
   * {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code :PORT} (all interfaces). Throws IllegalArgumentException
   * saying what is wrong, e.g. {@code 'localhost' (expected: HOST:PORT)}.
   */
  public static InetSocketAddress parse(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing value (expected: HOST:PORT)");
    }
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("'" + value + "' (expected: HOST:PORT)");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("'" + value + "' (expected: HOST:PORT, IPv6 as [ADDR]:PORT)");
    }
    int port = port(value.substring(colon + 1), value);
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  private static int port(String text, String whole) {
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + whole + "': port '" + text + "' is not a number (expected: HOST:PORT)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("'" + whole + "': port " + port + " (expected: 0-65535)");
    }
    return port;
  }

  /** {@code 10s}, {@code 500ms}, {@code 2m} or ISO-8601 ({@code PT10S}). */
  public static Duration parseDuration(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("pt") || v.startsWith("p")) {
        return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException("'" + value + "' (expected a duration like 10s, 500ms, 2m or PT10S)");
  }
}

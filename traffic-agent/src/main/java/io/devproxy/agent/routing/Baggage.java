package io.devproxy.agent.routing;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads W3C Baggage ({@code baggage} header, https://www.w3.org/TR/baggage/): a comma-separated list of
 * {@code key=value[;property]...} members, values percent-encoded. Parsed per the grammar, not by regex, so a
 * key that appears inside another member's value or property never matches.
 */
public final class Baggage {

  private Baggage() {}

  /**
   * The value of the first member named {@code key} across all {@code baggage} header values, or null.
   * Malformed members are skipped, as the spec asks of a receiver.
   */
  public static String find(List<String> headerValues, String key) {
    for (String headerValue : headerValues) {
      int start = 0;
      int length = headerValue.length();
      while (start <= length) {
        int comma = headerValue.indexOf(',', start);
        int end = comma < 0 ? length : comma;
        String value = memberValue(headerValue, start, end, key);
        if (value != null) {
          return value;
        }
        if (comma < 0) {
          break;
        }
        start = comma + 1;
      }
    }
    return null;
  }

  private static String memberValue(String s, int start, int end, String key) {
    int semicolon = s.indexOf(';', start);
    int memberEnd = semicolon < 0 || semicolon > end ? end : semicolon;
    int eq = s.indexOf('=', start);
    if (eq < 0 || eq >= memberEnd) {
      return null;
    }
    String name = s.substring(start, eq).trim();
    if (!name.equals(key)) {
      return null;
    }
    String raw = s.substring(eq + 1, memberEnd).trim();
    try {
      return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return null;
    }
  }
}

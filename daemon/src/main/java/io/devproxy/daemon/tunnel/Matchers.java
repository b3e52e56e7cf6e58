package io.devproxy.daemon.tunnel;

import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.tunnel.HeaderMatch;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.PathMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Builds a session's matcher from the intercept flags. The session key (header {@code x-devproxy-session} or
 * baggage member {@code devproxy-session}) is used when {@code --key} is given or when no other condition is.
 */
final class Matchers {

  private Matchers() {}

  static Matcher fromRequest(InterceptRequest request, String key) {
    Matcher.Builder matcher = Matcher.newBuilder();
    for (String header : request.getHeadersList()) {
      matcher.addHeaders(header(header));
    }
    if (!request.getPathPrefix().isEmpty()) {
      if (!request.getPathPrefix().startsWith("/")) {
        throw new IllegalArgumentException("--path-prefix: '" + request.getPathPrefix() + "' (expected a path starting with /)");
      }
      matcher.setPath(PathMatch.newBuilder().setPrefix(request.getPathPrefix()));
    }
    boolean explicitKey = !request.getKey().isEmpty();
    if (explicitKey || (matcher.getHeadersCount() == 0 && !matcher.hasPath())) {
      matcher.setSessionKey(key);
    }
    return matcher.build();
  }

  /** {@code name=value} (exact) or {@code name=~regex}. */
  static HeaderMatch header(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--header: '" + spec + "' (expected: NAME=VALUE or NAME=~REGEX)");
    }
    String name = spec.substring(0, eq).trim().toLowerCase(Locale.ROOT);
    String value = spec.substring(eq + 1);
    if (value.startsWith("~")) {
      String regex = value.substring(1);
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("--header: '" + spec + "': bad regex: " + e.getDescription());
      }
      return HeaderMatch.newBuilder().setName(name).setRegex(regex).build();
    }
    return HeaderMatch.newBuilder().setName(name).setExact(value).build();
  }

  /** How the matcher reads to a person. */
  static String describe(Matcher matcher) {
    List<String> parts = new ArrayList<>();
    if (!matcher.getSessionKey().isEmpty()) {
      parts.add("x-devproxy-session: " + matcher.getSessionKey() + " (or baggage devproxy-session="
          + matcher.getSessionKey() + ")");
    }
    for (HeaderMatch header : matcher.getHeadersList()) {
      parts.add(header.getName() + (header.hasRegex() ? " ~ " + header.getRegex() : ": " + header.getExact()));
    }
    if (matcher.hasPath()) {
      parts.add("path prefix " + matcher.getPath().getPrefix());
    }
    return String.join(" and ", parts);
  }
}

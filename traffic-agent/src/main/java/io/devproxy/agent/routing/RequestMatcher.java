package io.devproxy.agent.routing;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.tunnel.HeaderMatch;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.PathMatch;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One session's compiled matcher (DESIGN.md "Routing"): all conditions must hold. gRPC metadata is HTTP/2
 * headers, so the same matcher serves gRPC; {@code :authority} is matched against the request's authority.
 * Immutable and thread-safe.
 */
public final class RequestMatcher {

  /** The session-key header of the default matcher. */
  public static final String SESSION_HEADER = "x-devproxy-session";
  /** The W3C baggage member of the default matcher. */
  public static final String BAGGAGE_MEMBER = "devproxy-session";

  private final List<Predicate<Request>> conditions;
  private final boolean headerBased;
  private final String description;
  private final Matcher source;
  /** {@code source} with header names lower-cased and header conditions sorted, for {@link #overlaps}. */
  private final Matcher canonical;

  /** What a matcher sees of a request. */
  public record Request(String method, String authority, String path, HttpHeaders headers) {}

  private RequestMatcher(Matcher source, List<Predicate<Request>> conditions, boolean headerBased, String description) {
    this.source = source;
    this.conditions = conditions;
    this.headerBased = headerBased;
    this.description = description;
    this.canonical = canonical(source);
  }

  /** Header names are case-insensitive and header conditions unordered: equal meaning, equal canonical form. */
  private static Matcher canonical(Matcher matcher) {
    List<HeaderMatch> headers = matcher.getHeadersList().stream()
        .map(h -> h.toBuilder().setName(h.getName().toLowerCase(Locale.ROOT)).build())
        .distinct()
        .sorted(Comparator.comparing(HeaderMatch::getName)
            .thenComparing(HeaderMatch::getValueCase)
            .thenComparing(HeaderMatch::getExact)
            .thenComparing(HeaderMatch::getRegex))
        .toList();
    return matcher.toBuilder().clearHeaders().addAllHeaders(headers).build();
  }

  /** Compiles {@code matcher}; throws IllegalArgumentException naming the bad part. */
  public static RequestMatcher compile(Matcher matcher) {
    requireNonNull(matcher, "matcher");
    List<Predicate<Request>> conditions = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    boolean headerBased = false;
    if (!matcher.getSessionKey().isEmpty()) {
      String key = matcher.getSessionKey();
      conditions.add(request -> request.headers().getAll(SESSION_HEADER).contains(key)
          || key.equals(Baggage.find(request.headers().getAll("baggage"), BAGGAGE_MEMBER)));
      parts.add(SESSION_HEADER + ": " + key + " or baggage " + BAGGAGE_MEMBER + "=" + key);
      headerBased = true;
    }
    for (HeaderMatch header : matcher.getHeadersList()) {
      String name = header.getName().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        throw new IllegalArgumentException("header matcher without a name");
      }
      headerBased = true;
      switch (header.getValueCase()) {
        case EXACT -> {
          String value = header.getExact();
          conditions.add(request -> headerValues(request, name).contains(value));
          parts.add(name + ": " + value);
        }
        case REGEX -> {
          Pattern pattern = pattern(header.getRegex(), "header " + name);
          conditions.add(request -> headerValues(request, name).stream().anyMatch(v -> pattern.matcher(v).matches()));
          parts.add(name + " ~ " + header.getRegex());
        }
        default -> throw new IllegalArgumentException("header matcher for " + name + " has no value");
      }
    }
    if (matcher.hasPath()) {
      PathMatch path = matcher.getPath();
      switch (path.getKindCase()) {
        case PREFIX -> {
          String prefix = path.getPrefix();
          conditions.add(request -> pathOf(request).startsWith(prefix));
          parts.add("path prefix " + prefix);
        }
        case EXACT -> {
          String exact = path.getExact();
          conditions.add(request -> pathOf(request).equals(exact));
          parts.add("path " + exact);
        }
        case REGEX -> {
          Pattern pattern = pattern(path.getRegex(), "path");
          conditions.add(request -> pattern.matcher(pathOf(request)).matches());
          parts.add("path ~ " + path.getRegex());
        }
        default -> {
        }
      }
    }
    if (conditions.isEmpty()) {
      throw new IllegalArgumentException("empty matcher: give a session key, a header or a path");
    }
    return new RequestMatcher(matcher, List.copyOf(conditions), headerBased, String.join(" and ", parts));
  }

  private static Pattern pattern(String regex, String what) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(what + ": bad regex '" + regex + "': " + e.getDescription());
    }
  }

  private static List<String> headerValues(Request request, String name) {
    if (name.equals(":authority")) {
      return List.of(request.authority());
    }
    if (name.equals(":method")) {
      return List.of(request.method());
    }
    if (name.equals(":path")) {
      return List.of(request.path());
    }
    return request.headers().getAll(name);
  }

  /** The path without the query. */
  private static String pathOf(Request request) {
    String path = request.path();
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  public boolean matches(Request request) {
    for (Predicate<Request> condition : conditions) {
      if (!condition.test(request)) {
        return false;
      }
    }
    return true;
  }

  /** Header-based sessions are checked before path-only ones. */
  public boolean headerBased() {
    return headerBased;
  }

  public Matcher source() {
    return source;
  }

  /**
   * Whether two sessions could claim the same request: their matchers are equal (header names compared
   * case-insensitively, header conditions in any order), or neither names a header
   * (two path-only matchers overlap unless their exact/prefix paths provably differ).
   */
  public boolean overlaps(RequestMatcher other) {
    if (canonical.equals(other.canonical)) {
      return true;
    }
    if (headerBased || other.headerBased) {
      // Different header conditions: a request may carry both, but each developer's key is their own;
      // identical session keys are caught by equality of the key below.
      return !source.getSessionKey().isEmpty() && source.getSessionKey().equals(other.source.getSessionKey());
    }
    return pathsMayOverlap(source.getPath(), other.source.getPath());
  }

  private static boolean pathsMayOverlap(PathMatch a, PathMatch b) {
    String pa = literal(a);
    String pb = literal(b);
    if (pa == null || pb == null) {
      return true; // a regex: assume overlap
    }
    boolean aPrefix = a.getKindCase() == PathMatch.KindCase.PREFIX;
    boolean bPrefix = b.getKindCase() == PathMatch.KindCase.PREFIX;
    if (aPrefix && bPrefix) {
      return pa.startsWith(pb) || pb.startsWith(pa);
    }
    if (aPrefix) {
      return pb.startsWith(pa);
    }
    if (bPrefix) {
      return pa.startsWith(pb);
    }
    return pa.equals(pb);
  }

  private static String literal(PathMatch path) {
    return switch (path.getKindCase()) {
      case PREFIX -> path.getPrefix();
      case EXACT -> path.getExact();
      default -> null;
    };
  }

  @Override
  public String toString() {
    return description;
  }
}

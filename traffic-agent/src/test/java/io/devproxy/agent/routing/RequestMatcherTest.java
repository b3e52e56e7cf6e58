package io.devproxy.agent.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.devproxy.proto.tunnel.HeaderMatch;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.PathMatch;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A session's matcher: all conditions hold, header names are case-insensitive, paths ignore the query. */
class RequestMatcherTest {

  // ---- helpers ----

  static Matcher key(String key) {
    return Matcher.newBuilder().setSessionKey(key).build();
  }

  static HeaderMatch exact(String name, String value) {
    return HeaderMatch.newBuilder().setName(name).setExact(value).build();
  }

  static HeaderMatch regex(String name, String regex) {
    return HeaderMatch.newBuilder().setName(name).setRegex(regex).build();
  }

  static Matcher headers(HeaderMatch... headers) {
    return Matcher.newBuilder().addAllHeaders(List.of(headers)).build();
  }

  static Matcher pathPrefix(String prefix) {
    return Matcher.newBuilder().setPath(PathMatch.newBuilder().setPrefix(prefix)).build();
  }

  static Matcher pathExact(String path) {
    return Matcher.newBuilder().setPath(PathMatch.newBuilder().setExact(path)).build();
  }

  static Matcher pathRegex(String regex) {
    return Matcher.newBuilder().setPath(PathMatch.newBuilder().setRegex(regex)).build();
  }

  static RequestMatcher compile(Matcher matcher) {
    return RequestMatcher.compile(matcher);
  }

  /** A GET of {@code path} to {@code svc:8080} with the given header name/value pairs. */
  static RequestMatcher.Request request(String path, String... nameValues) {
    return requestTo("GET", "svc:8080", path, nameValues);
  }

  static RequestMatcher.Request requestTo(String method, String authority, String path, String... nameValues) {
    HttpHeaders headers = new DefaultHttpHeaders();
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.add(nameValues[i], nameValues[i + 1]);
    }
    return new RequestMatcher.Request(method, authority, path, headers);
  }

  // ---- session key ----

  @Test
  void sessionKeyMatchesTheSessionHeader() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "x-devproxy-session", "alice"))).isTrue();
    assertThat(matcher.matches(request("/", "x-devproxy-session", "bob"))).isFalse();
    assertThat(matcher.matches(request("/", "x-devproxy-session", "alice2"))).isFalse();
    assertThat(matcher.matches(request("/"))).isFalse();
  }

  @Test
  void sessionKeyMatchesAnyOfSeveralSessionHeaderValues() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "x-devproxy-session", "bob", "x-devproxy-session", "alice"))).isTrue();
  }

  @Test
  void sessionHeaderNameIsCaseInsensitive() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "X-DevProxy-Session", "alice"))).isTrue();
    assertThat(matcher.matches(request("/", "X-DEVPROXY-SESSION", "alice"))).isTrue();
  }

  @Test
  void sessionKeyMatchesTheBaggageMember() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "baggage", "userId=1, devproxy-session=alice;p=1"))).isTrue();
    assertThat(matcher.matches(request("/", "Baggage", "devproxy-session=alice"))).isTrue();
    assertThat(matcher.matches(request("/", "baggage", "devproxy-session=bob"))).isFalse();
  }

  @Test
  void sessionKeyMatchesABaggageMemberInALaterBaggageHeader() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "baggage", "userId=1", "baggage", "devproxy-session=alice"))).isTrue();
  }

  @Test
  void sessionKeyMatchesAPercentEncodedBaggageValue() {
    RequestMatcher matcher = compile(key("alice@example.com"));
    assertThat(matcher.matches(request("/", "baggage", "devproxy-session=alice%40example.com"))).isTrue();
  }

  @Test
  void sessionKeyInsideAnotherBaggageMemberDoesNotMatch() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "baggage", "note=devproxy-session=alice"))).isFalse();
    assertThat(matcher.matches(request("/", "baggage", "note=1;devproxy-session=alice"))).isFalse();
  }

  @Test
  void sessionKeyAsABaggageMemberNamedLikeTheHeaderDoesNotMatch() {
    RequestMatcher matcher = compile(key("alice"));
    assertThat(matcher.matches(request("/", "baggage", "x-devproxy-session=alice"))).isFalse();
    assertThat(matcher.matches(request("/", "devproxy-session", "alice"))).isFalse();
  }

  // ---- headers ----

  @Test
  void headerExactMatchesTheValue() {
    RequestMatcher matcher = compile(headers(exact("x-user", "alice")));
    assertThat(matcher.matches(request("/", "x-user", "alice"))).isTrue();
    assertThat(matcher.matches(request("/", "x-user", "Alice"))).isFalse();
    assertThat(matcher.matches(request("/", "x-user", "alice "))).isFalse();
    assertThat(matcher.matches(request("/", "x-other", "alice"))).isFalse();
    assertThat(matcher.matches(request("/"))).isFalse();
  }

  @Test
  void headerNamesAreCaseInsensitiveOnBothSides() {
    RequestMatcher upperInMatcher = compile(headers(exact("X-User", "alice")));
    RequestMatcher lowerInMatcher = compile(headers(exact("x-user", "alice")));
    assertThat(upperInMatcher.matches(request("/", "x-user", "alice"))).isTrue();
    assertThat(upperInMatcher.matches(request("/", "X-USER", "alice"))).isTrue();
    assertThat(lowerInMatcher.matches(request("/", "X-User", "alice"))).isTrue();
    assertThat(compile(headers(regex("X-User", "a.*"))).matches(request("/", "x-user", "alice"))).isTrue();
  }

  @Test
  void headerExactMatchesAnyOfTheHeadersValues() {
    RequestMatcher matcher = compile(headers(exact("x-user", "alice")));
    assertThat(matcher.matches(request("/", "x-user", "bob", "x-user", "alice"))).isTrue();
    assertThat(matcher.matches(request("/", "x-user", "bob", "X-User", "carol"))).isFalse();
  }

  @Test
  void headerRegexMatchesAnyOfTheHeadersValues() {
    RequestMatcher matcher = compile(headers(regex("x-user", "al.*")));
    assertThat(matcher.matches(request("/", "x-user", "bob", "x-user", "alice"))).isTrue();
    assertThat(matcher.matches(request("/", "x-user", "bob", "x-user", "carol"))).isFalse();
  }

  @Test
  void headerRegexMustMatchTheWholeValue() {
    RequestMatcher matcher = compile(headers(regex("x-user", "ali")));
    assertThat(matcher.matches(request("/", "x-user", "alice"))).isFalse();
    assertThat(matcher.matches(request("/", "x-user", "malice"))).isFalse();
    assertThat(matcher.matches(request("/", "x-user", "ali"))).isTrue();
    assertThat(compile(headers(regex("x-user", "ali|bob"))).matches(request("/", "x-user", "bobby"))).isFalse();
  }

  @Test
  void authorityPseudoHeaderMatchesTheRequestsAuthority() {
    RequestMatcher exactAuthority = compile(headers(exact(":authority", "svc:8080")));
    assertThat(exactAuthority.matches(requestTo("GET", "svc:8080", "/"))).isTrue();
    assertThat(exactAuthority.matches(requestTo("GET", "other:8080", "/"))).isFalse();
    RequestMatcher regexAuthority = compile(headers(regex(":Authority", "svc(:\\d+)?")));
    assertThat(regexAuthority.matches(requestTo("GET", "svc", "/"))).isTrue();
    assertThat(regexAuthority.matches(requestTo("GET", "svc:80", "/"))).isTrue();
    assertThat(regexAuthority.matches(requestTo("GET", "svc.ns:80", "/"))).isFalse();
  }

  @Test
  void methodPseudoHeaderMatchesTheRequestsMethod() {
    RequestMatcher post = compile(headers(exact(":method", "POST")));
    assertThat(post.matches(requestTo("POST", "svc", "/"))).isTrue();
    assertThat(post.matches(requestTo("GET", "svc", "/"))).isFalse();
    RequestMatcher writes = compile(headers(regex(":method", "POST|PUT|DELETE")));
    assertThat(writes.matches(requestTo("PUT", "svc", "/"))).isTrue();
    assertThat(writes.matches(requestTo("GET", "svc", "/"))).isFalse();
  }

  @Test
  void pathPseudoHeaderMatchesTheWholePathIncludingTheQuery() {
    RequestMatcher grpcMethod = compile(headers(exact(":path", "/helloworld.Greeter/SayHello")));
    assertThat(grpcMethod.matches(requestTo("POST", "svc", "/helloworld.Greeter/SayHello"))).isTrue();
    assertThat(grpcMethod.matches(requestTo("POST", "svc", "/helloworld.Greeter/SayHelloAgain"))).isFalse();
    RequestMatcher withQuery = compile(headers(regex(":path", "/a\\?debug=1")));
    assertThat(withQuery.matches(requestTo("GET", "svc", "/a?debug=1"))).isTrue();
    assertThat(withQuery.matches(requestTo("GET", "svc", "/a"))).isFalse();
  }

  @Test
  void pseudoHeadersAreNotLookedUpAmongOrdinaryHeaders() {
    RequestMatcher matcher = compile(headers(exact(":authority", "evil")));
    HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().withNameValidation(false).newHeaders()
        .add(":authority", "evil");
    assertThat(matcher.matches(new RequestMatcher.Request("GET", "svc", "/", headers))).isFalse();
  }

  // ---- path ----

  @Test
  void pathPrefixMatchesPathsStartingWithIt() {
    RequestMatcher matcher = compile(pathPrefix("/api/"));
    assertThat(matcher.matches(request("/api/orders"))).isTrue();
    assertThat(matcher.matches(request("/api/"))).isTrue();
    assertThat(matcher.matches(request("/api"))).isFalse();
    assertThat(matcher.matches(request("/other/api/orders"))).isFalse();
  }

  @Test
  void pathPrefixIgnoresTheQuery() {
    RequestMatcher matcher = compile(pathPrefix("/api/orders"));
    assertThat(matcher.matches(request("/api/orders?page=2"))).isTrue();
    assertThat(matcher.matches(request("/api?x=/api/orders"))).isFalse();
    assertThat(matcher.matches(request("/?next=/api/orders/1"))).isFalse();
  }

  @Test
  void pathExactIgnoresTheQuery() {
    RequestMatcher matcher = compile(pathExact("/api/orders"));
    assertThat(matcher.matches(request("/api/orders"))).isTrue();
    assertThat(matcher.matches(request("/api/orders?page=2"))).isTrue();
    assertThat(matcher.matches(request("/api/orders/1"))).isFalse();
    assertThat(matcher.matches(request("/api/order"))).isFalse();
  }

  @Test
  void pathRegexMustMatchTheWholePathWithoutTheQuery() {
    RequestMatcher matcher = compile(pathRegex("/orders/\\d+"));
    assertThat(matcher.matches(request("/orders/42"))).isTrue();
    assertThat(matcher.matches(request("/orders/42?expand=items"))).isTrue();
    assertThat(matcher.matches(request("/orders/42/items"))).isFalse();
    assertThat(matcher.matches(request("/v1/orders/42"))).isFalse();
    // A regex that would need the query to match sees only the path.
    assertThat(compile(pathRegex("/orders\\?.*")).matches(request("/orders?x=1"))).isFalse();
  }

  // ---- all of ----

  @Test
  void allConditionsMustHold() {
    Matcher matcher = Matcher.newBuilder()
        .setSessionKey("alice")
        .addHeaders(exact(":method", "POST"))
        .addHeaders(regex("content-type", "application/grpc(\\+proto)?"))
        .setPath(PathMatch.newBuilder().setPrefix("/helloworld.Greeter/"))
        .build();
    RequestMatcher compiled = compile(matcher);
    String[] all = {"x-devproxy-session", "alice", "content-type", "application/grpc"};
    assertThat(compiled.matches(requestTo("POST", "svc", "/helloworld.Greeter/SayHello", all))).isTrue();
    assertThat(compiled.matches(requestTo("GET", "svc", "/helloworld.Greeter/SayHello", all))).isFalse();
    assertThat(compiled.matches(requestTo("POST", "svc", "/other.Service/SayHello", all))).isFalse();
    assertThat(compiled.matches(requestTo("POST", "svc", "/helloworld.Greeter/SayHello",
        "x-devproxy-session", "bob", "content-type", "application/grpc"))).isFalse();
    assertThat(compiled.matches(requestTo("POST", "svc", "/helloworld.Greeter/SayHello",
        "x-devproxy-session", "alice", "content-type", "application/json"))).isFalse();
  }

  // ---- refusals ----

  @Test
  void emptyMatcherIsRefused() {
    assertThatThrownBy(() -> compile(Matcher.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty matcher");
  }

  @Test
  void pathMatchWithoutKindIsRefusedAsEmpty() {
    Matcher matcher = Matcher.newBuilder().setPath(PathMatch.getDefaultInstance()).build();
    assertThatThrownBy(() -> compile(matcher))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty matcher");
  }

  @Test
  void headerMatchWithoutNameIsRefused() {
    assertThatThrownBy(() -> compile(headers(exact("", "alice"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without a name");
  }

  @Test
  void headerMatchWithoutValueIsRefusedNamingTheHeader() {
    Matcher matcher = headers(HeaderMatch.newBuilder().setName("x-user").build());
    assertThatThrownBy(() -> compile(matcher))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x-user")
        .hasMessageContaining("no value");
  }

  @Test
  void badHeaderRegexIsRefusedNamingHeaderAndRegex() {
    assertThatThrownBy(() -> compile(headers(regex("x-user", "ali(ce"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("header x-user")
        .hasMessageContaining("bad regex 'ali(ce'");
  }

  @Test
  void badPathRegexIsRefusedNamingTheRegex() {
    assertThatThrownBy(() -> compile(pathRegex("/orders/[0-9")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("path")
        .hasMessageContaining("bad regex '/orders/[0-9'");
  }

  @Test
  void aBadRegexIsRefusedEvenWhenOtherConditionsAreValid() {
    Matcher matcher = key("alice").toBuilder().setPath(PathMatch.newBuilder().setRegex("*")).build();
    assertThatThrownBy(() -> compile(matcher))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad regex '*'");
  }

  // ---- headerBased, source, toString ----

  @Test
  void sessionKeyAndHeaderMatchersAreHeaderBasedPathOnlyIsNot() {
    assertThat(compile(key("alice")).headerBased()).isTrue();
    assertThat(compile(headers(exact("x-user", "alice"))).headerBased()).isTrue();
    assertThat(compile(headers(exact(":authority", "svc"))).headerBased()).isTrue();
    assertThat(compile(pathPrefix("/api")).headerBased()).isFalse();
    assertThat(compile(pathExact("/api")).headerBased()).isFalse();
    assertThat(compile(pathRegex("/api/.*")).headerBased()).isFalse();
    assertThat(compile(key("alice").toBuilder().setPath(PathMatch.newBuilder().setPrefix("/api")).build())
        .headerBased()).isTrue();
  }

  @Test
  void sourceIsTheCompiledProto() {
    Matcher matcher = headers(exact("X-User", "alice"));
    assertThat(compile(matcher).source()).isEqualTo(matcher);
  }

  @Test
  void toStringDescribesEveryCondition() {
    assertThat(compile(key("alice"))).hasToString("x-devproxy-session: alice or baggage devproxy-session=alice");
    assertThat(compile(headers(exact("X-User", "alice")))).hasToString("x-user: alice");
    assertThat(compile(headers(regex("x-user", "al.*")))).hasToString("x-user ~ al.*");
    assertThat(compile(pathPrefix("/api"))).hasToString("path prefix /api");
    assertThat(compile(pathExact("/api"))).hasToString("path /api");
    assertThat(compile(pathRegex("/api/.*"))).hasToString("path ~ /api/.*");
    Matcher all = key("alice").toBuilder()
        .addHeaders(exact(":method", "POST"))
        .setPath(PathMatch.newBuilder().setPrefix("/api"))
        .build();
    assertThat(compile(all)).hasToString(
        "x-devproxy-session: alice or baggage devproxy-session=alice and :method: POST and path prefix /api");
  }

  // ---- overlaps ----

  private static void assertOverlap(Matcher a, Matcher b, boolean overlap) {
    assertThat(compile(a).overlaps(compile(b))).as("%s overlaps %s", a, b).isEqualTo(overlap);
    assertThat(compile(b).overlaps(compile(a))).as("%s overlaps %s", b, a).isEqualTo(overlap);
  }

  @Test
  void sameSessionKeyOverlaps() {
    assertOverlap(key("alice"), key("alice"), true);
  }

  @Test
  void sameSessionKeyOverlapsEvenWithDifferentExtraConditions() {
    assertOverlap(key("alice"), key("alice").toBuilder().setPath(PathMatch.newBuilder().setPrefix("/api")).build(),
        true);
    assertOverlap(key("alice").toBuilder().addHeaders(exact(":method", "GET")).build(),
        key("alice").toBuilder().addHeaders(exact(":method", "POST")).build(), true);
  }

  @Test
  void differentSessionKeysDoNotOverlap() {
    assertOverlap(key("alice"), key("bob"), false);
  }

  @Test
  void identicalHeaderMatchersOverlap() {
    assertOverlap(headers(exact("x-user", "alice")), headers(exact("x-user", "alice")), true);
    assertOverlap(headers(regex("x-user", "a.*")), headers(regex("x-user", "a.*")), true);
  }

  @Test
  void headerMatchersDifferingOnlyInNameCaseOverlap() {
    assertOverlap(headers(exact("X-User", "alice")), headers(exact("x-user", "alice")), true);
  }

  @Test
  void headerMatchersDifferingOnlyInOrderOverlap() {
    assertOverlap(headers(exact("x-user", "alice"), exact("x-team", "red")),
        headers(exact("x-team", "red"), exact("x-user", "alice")), true);
  }

  @Test
  void headerMatchersWithDifferentValuesDoNotOverlap() {
    assertOverlap(headers(exact("x-user", "alice")), headers(exact("x-user", "bob")), false);
  }

  @Test
  void headerBasedAndPathOnlyDoNotOverlap() {
    // Header-matched sessions are routed first, so they may share paths with path-only ones.
    assertOverlap(key("alice"), pathPrefix("/"), false);
    assertOverlap(headers(exact("x-user", "alice")), pathPrefix("/api"), false);
  }

  @Test
  void overlappingPathPrefixesOverlap() {
    assertOverlap(pathPrefix("/api"), pathPrefix("/api"), true);
    assertOverlap(pathPrefix("/api"), pathPrefix("/api/orders"), true);
    assertOverlap(pathPrefix("/api"), pathPrefix("/apiv2"), true);
    assertOverlap(pathPrefix(""), pathPrefix("/anything"), true);
  }

  @Test
  void disjointPathPrefixesDoNotOverlap() {
    assertOverlap(pathPrefix("/api/orders"), pathPrefix("/api/users"), false);
    assertOverlap(pathPrefix("/a"), pathPrefix("/b"), false);
  }

  @Test
  void exactPathUnderAPrefixOverlaps() {
    assertOverlap(pathPrefix("/api/"), pathExact("/api/orders"), true);
    assertOverlap(pathExact("/api"), pathExact("/api"), true);
  }

  @Test
  void exactPathOutsideAPrefixOrAnotherExactPathDoesNotOverlap() {
    assertOverlap(pathPrefix("/api/orders"), pathExact("/api"), false);
    assertOverlap(pathExact("/api/orders"), pathExact("/api/users"), false);
  }

  @Test
  void pathRegexIsAssumedToOverlapAnyPath() {
    assertOverlap(pathRegex("/orders/\\d+"), pathPrefix("/users"), true);
    assertOverlap(pathRegex("/orders/\\d+"), pathExact("/users"), true);
    assertOverlap(pathRegex("/a"), pathRegex("/b"), true);
  }
}

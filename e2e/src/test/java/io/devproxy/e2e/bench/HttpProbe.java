package io.devproxy.e2e.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** One HTTP/1.1 {@code GET /who} over a route, which must be answered 200 by the route's server. */
final class HttpProbe {

  private HttpProbe() {}

  /** A {@link Fixture.Probe} for REST routes. */
  static void check(Route route) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://"
        + AgentUnderTest.hostPort(route.target()) + "/who")).timeout(Duration.ofSeconds(10));
    route.headers().forEach(request::header);
    HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String servedBy = response.headers().firstValue("x-served-by").orElse(null);
    if (response.statusCode() != 200 || !route.expectWho().equals(servedBy)) {
      throw new IllegalStateException("GET /who: " + response.statusCode() + " served by " + servedBy
          + " (expected: 200 from " + route.expectWho() + ")");
    }
  }
}

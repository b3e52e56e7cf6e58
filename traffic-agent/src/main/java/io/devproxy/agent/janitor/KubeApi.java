package io.devproxy.agent.janitor;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The few Kubernetes REST calls the lease janitor makes, as JSON trees, over the JDK's HTTP client: API discovery,
 * get, list (with a label selector), update (PUT, guarded by the resourceVersion in the body) and delete. Each call
 * sends the ServiceAccount's current token. HTTP/1.1, 5 s to connect, {@code timeout} per call.
 *
 * <p>Thread-safe. Owns its HTTP client's executor: {@link #close()} stops it (Java 17's client has no close; its
 * selector thread ends once the client is unreachable).
 */
final class KubeApi implements AutoCloseable {

  private static final String DELETE_OPTIONS =
      "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}";

  private final ServiceAccount account;
  private final JsonMapper json;
  private final Duration timeout;
  private final ExecutorService executor;
  private final HttpClient http;

  KubeApi(ServiceAccount account, JsonMapper json, Duration timeout) {
    this.account = requireNonNull(account, "account");
    this.json = requireNonNull(json, "json");
    this.timeout = requireNonNull(timeout, "timeout");
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "devproxy-agent-kube-api");
      t.setDaemon(true);
      return t;
    });
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(executor);
    if (account.tls() != null) {
      builder.sslContext(account.tls());
    }
    this.http = builder.build();
  }

  /**
   * Whether the API serves {@code resource} at its version: whether discovery of its group-version
   * ({@code /apis/getambassador.io/v3alpha1}) lists it. A real API server answers 404 when no CRD serves the
   * group-version (fabric8's mock, a list without resources). Discovery needs no Role ({@code system:discovery}).
   *
   * @param namespace where the caller works, for the error message
   */
  boolean serves(ApiResource resource, String namespace) throws ApiException, InterruptedException {
    JsonNode list = send("discover", resource, namespace, resource.groupVersion(), "GET", null, true);
    if (list == null) {
      return false;
    }
    for (JsonNode served : list.path("resources")) {
      if (resource.plural().equals(served.path("name").asString(""))) {
        return true;
      }
    }
    return false;
  }

  /** The object; null when it does not exist (404). */
  JsonNode get(ApiResource resource, String namespace, String name) throws ApiException, InterruptedException {
    return send("get", resource, namespace, resource.object(namespace, name), "GET", null, true);
  }

  /** The list object ({@code items}) of the objects {@code labelSelector} selects. */
  JsonNode list(ApiResource resource, String namespace, String labelSelector) throws ApiException, InterruptedException {
    return send("list", resource, namespace,
        resource.collection(namespace) + "?labelSelector=" + ApiResource.encode(labelSelector), "GET", null, false);
  }

  /**
   * Replaces the object with {@code body}, which carries the resourceVersion it was read at.
   *
   * @throws ApiException with {@link ApiException#conflict()} when the object changed since
   */
  void update(ApiResource resource, String namespace, String name, JsonNode body)
      throws ApiException, InterruptedException {
    send("update", resource, namespace, resource.object(namespace, name), "PUT", json.writeValueAsString(body), false);
  }

  /** Deletes the object (dependents in the background, as kubectl does). @return false when it was gone already */
  boolean delete(ApiResource resource, String namespace, String name) throws ApiException, InterruptedException {
    return send("delete", resource, namespace, resource.object(namespace, name), "DELETE", DELETE_OPTIONS, true)
        != null;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  boolean awaitTermination(Duration timeout) throws InterruptedException {
    return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** @return the answer's JSON; null for a 404 when {@code missingIsNull} */
  private JsonNode send(String verb, ApiResource resource, String namespace, String path, String method, String body,
      boolean missingIsNull) throws ApiException, InterruptedException {
    HttpResponse<byte[]> response;
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(account.apiServer().toString().replaceAll("/+$", "") + path))
          .timeout(timeout)
          .header("Authorization", "Bearer " + account.token())
          .header("Accept", "application/json")
          .header("Content-Type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
          .build();
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new ApiException(0, verb, resource, namespace, String.valueOf(e), e);
    }
    int status = response.statusCode();
    if (status == 404 && missingIsNull) {
      return null;
    }
    if (status / 100 != 2) {
      throw new ApiException(status, verb, resource, namespace, reason(response.body()), null);
    }
    try {
      return json.readTree(response.body());
    } catch (JacksonException e) {
      throw new ApiException(0, verb, resource, namespace, "the answer is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The message of a Kubernetes Status body, else the body's first line. */
  private String reason(byte[] body) {
    try {
      String message = json.readTree(body).path("message").asString("");
      if (!message.isEmpty()) {
        return message;
      }
    } catch (JacksonException e) {
      // not a Status
    }
    String text = new String(body, java.nio.charset.StandardCharsets.UTF_8).strip();
    int line = text.indexOf('\n');
    return text.isEmpty() ? "no message" : line < 0 ? text : text.substring(0, line);
  }
}

package io.devproxy.e2e.ambassador;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.ambassador.ServiceRef;
import io.devproxy.e2e.ChildProcess;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * HAProxy standing in for Ambassador/Emissary: routes as a list of {@code Mapping}s would (see {@link MappingSpec}
 * for what is reproduced and what is refused, {@link EmissaryRoute#EMISSARY_ORDER} for the order), on one loopback
 * port that serves HTTP/1.1 and h2c by prior knowledge, as gRPC clients speak it. Upstreams get HTTP/1.1, or h2c for
 * {@code grpc: true} Mappings.
 *
 * <p>Needs the {@code haproxy} binary (Debian package {@code haproxy}, 2.6 or later; {@code .ci/install-test-tools}
 * installs it): call {@link #assumeInstalled()} before {@link #start}. The process runs in the foreground as a child
 * of the test JVM until {@link #close()}, or until the JVM exits (a shutdown hook kills it if close() never ran).
 * Thread-safe.
 */
public final class HaproxyEdge implements AutoCloseable {

  /** With {@code 1}, a missing haproxy fails tests instead of skipping them; {@code .ci/run} sets it. */
  public static final String REQUIRE_ENV = "DEVPROXY_REQUIRE_HAPROXY";

  private static final String MISSING =
      "haproxy is not installed: run .ci/install-test-tools (it installs the Debian package haproxy)";
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

  private final int port;
  private final String config;
  private final Path log;
  private final ChildProcess process;

  private HaproxyEdge(int port, String config, Path log, ChildProcess process) {
    this.port = port;
    this.config = config;
    this.log = log;
    this.process = process;
  }

  /**
   * Skips the calling test (JUnit assumption) when haproxy is not installed, or fails it when {@value #REQUIRE_ENV}
   * is {@code 1}, as in CI; either way with a message that says how to install it.
   */
  public static void assumeInstalled() {
    if (executable().isPresent()) {
      return;
    }
    if ("1".equals(System.getenv(REQUIRE_ENV))) {
      Assertions.fail(MISSING + " (" + REQUIRE_ENV + "=1)");
    }
    Assumptions.abort(MISSING);
  }

  /**
   * Translates {@code mappings}, writes {@code haproxy.cfg} and {@code haproxy.log} into {@code workDir}, checks the
   * configuration and starts haproxy on a free loopback port; returns once the port accepts connections.
   *
   * @param resolver the upstream of each Mapping's {@code service} (in a test: a loopback server)
   * @throws UnsupportedOperationException when a Mapping uses a field this edge cannot reproduce; nothing started
   * @throws IllegalStateException when haproxy is missing, rejects the configuration, or does not listen within 10 s
   *     (the message holds its output)
   */
  public static HaproxyEdge start(Path workDir, List<GenericKubernetesResource> mappings,
      Function<ServiceRef, InetSocketAddress> resolver) throws IOException, InterruptedException {
    requireNonNull(workDir, "workDir");
    requireNonNull(mappings, "mappings");
    requireNonNull(resolver, "resolver");
    List<EmissaryRoute> routes = mappings.stream().map(m -> EmissaryRoute.of(m, resolver))
        .sorted(EmissaryRoute.EMISSARY_ORDER).toList();
    Path haproxy = executable().orElseThrow(() -> new IllegalStateException(MISSING));
    int port = freePort();
    String config = HaproxyConfig.render(routes, new InetSocketAddress(LOOPBACK, port));
    Path cfg = Files.writeString(Files.createDirectories(workDir).resolve("haproxy.cfg"), config);
    Path log = workDir.resolve("haproxy.log");

    Process check = new ProcessBuilder(haproxy.toString(), "-c", "-f", cfg.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!check.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || check.exitValue() != 0) {
      check.destroyForcibly();
      throw new IllegalStateException("haproxy rejected " + cfg + ":\n" + Files.readString(log) + "\n" + config);
    }
    ChildProcess child = ChildProcess.start(new ProcessBuilder(haproxy.toString(), "-db", "-f", cfg.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()), "haproxy", STOP_TIMEOUT);
    Process process = child.process();
    HaproxyEdge edge = new HaproxyEdge(port, config, log, child);
    try {
      await("haproxy listening on port " + port).atMost(START_TIMEOUT).pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(20)).until(() -> !process.isAlive() || accepts(port));
    } catch (ConditionTimeoutException e) {
      edge.close();
      throw new IllegalStateException("haproxy did not listen on port " + port + " within " + START_TIMEOUT
          + ":\n" + edge.log(), e);
    }
    if (!process.isAlive()) {
      edge.close();
      throw new IllegalStateException("haproxy exited with " + process.exitValue() + ":\n" + edge.log());
    }
    return edge;
  }

  /** The one listening port, on the loopback address: HTTP/1.1 and h2c (prior knowledge). */
  public int port() {
    return port;
  }

  /** The loopback address and {@link #port()}. */
  public InetSocketAddress address() {
    return new InetSocketAddress(LOOPBACK, port);
  }

  /** The generated {@code haproxy.cfg}, for failure messages. */
  public String config() {
    return config;
  }

  /** What haproxy wrote so far: start-up messages and one access-log line per request (with its backend). */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops haproxy (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  @Override
  public void close() {
    process.close();
  }


  /** The haproxy binary on the {@code PATH}, or in {@code /usr/sbin} or {@code /usr/local/sbin}; empty if none. */
  // Debian installs it in /usr/sbin, which is not on a non-root user's PATH.
  public static Optional<Path> executable() {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Stream.concat(Stream.of(path.split(File.pathSeparator)), Stream.of("/usr/sbin", "/usr/local/sbin"))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "haproxy"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
      return socket.getLocalPort();
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(LOOPBACK, port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}

package io.devproxy.cli.demo;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The traffic agent's jar as a child process on loopback, as it runs in a pod: {@code java -jar
 * devproxy-traffic-agent.jar --listen … --tunnel-listen … --admin-listen … --tls-dir … --app …}, stdin from
 * {@code /dev/null}, stdout and stderr appended to a log file. The Java is the one running the CLI.
 *
 * <p>{@link #close()} sends SIGTERM (the agent's shutdown hook closes its listeners and sessions), waits
 * {@link #STOP_TIMEOUT}, then kills it. Idempotent; thread-safe.
 */
final class AgentProcess implements AutoCloseable {

  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final long MAX_BACKOFF_MILLIS = 200;

  /** The agent's three listeners. */
  record Ports(InetSocketAddress listen, InetSocketAddress tunnel, InetSocketAddress admin) {

    /** Three loopback ports free now (another process may take one before the agent binds it). */
    static Ports free() throws IOException {
      try (ServerSocket a = bind(); ServerSocket b = bind(); ServerSocket c = bind()) {
        return new Ports(address(a), address(b), address(c));
      }
    }

    private static ServerSocket bind() throws IOException {
      return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    private static InetSocketAddress address(ServerSocket socket) {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }
  }

  private final Process process;
  private final Ports ports;
  private final Path log;

  private AgentProcess(Process process, Ports ports, Path log) {
    this.process = process;
    this.ports = ports;
    this.log = log;
  }

  /** Starts the agent and returns at once, before it is ready. */
  static AgentProcess start(Path jar, Ports ports, Path tlsDir, InetSocketAddress app, Path log)
      throws DevproxyException {
    List<String> command = command(jar, ports, tlsDir, app);
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectErrorStream(true)
              .start();
      return new AgentProcess(process, ports, log);
    } catch (IOException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot start the traffic agent (" + String.join(" ", command) + "): " + e.getMessage(), e);
    }
  }

  static List<String> command(Path jar, Ports ports, Path tlsDir, InetSocketAddress app) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-jar");
    command.add(jar.toString());
    command.add("--listen");
    command.add(Demo.hostPort(ports.listen()));
    command.add("--tunnel-listen");
    command.add(Demo.hostPort(ports.tunnel()));
    command.add("--admin-listen");
    command.add(Demo.hostPort(ports.admin()));
    command.add("--tls-dir");
    command.add(tlsDir.toString());
    command.add("--app");
    command.add(Demo.hostPort(app));
    return command;
  }

  Ports ports() {
    return ports;
  }

  long pid() {
    return process.pid();
  }

  /**
   * Polls the agent's {@code /readyz} until it answers 200.
   *
   * @throws AgentExitedException when the agent exits first
   * @throws DevproxyException INTERNAL when it is not ready within {@code timeout}
   */
  void awaitReady(Duration timeout) throws DevproxyException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest readyz =
        HttpRequest.newBuilder(URI.create("http://" + Demo.hostPort(ports.admin()) + "/readyz"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    long backoff = 20;
    while (true) {
      if (!process.isAlive()) {
        throw new AgentExitedException(process.exitValue(), lastLine());
      }
      try {
        if (client.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      if (System.nanoTime() > deadline) {
        throw new DevproxyException(
            ErrorCategory.INTERNAL, "the traffic agent was not ready within " + timeout.toSeconds() + " s");
      }
      Thread.sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }
  }

  /** The agent's last log line, or empty. */
  String lastLine() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).strip();
        }
      }
    } catch (IOException e) {
      // No log to quote.
    }
    return "";
  }

  /**
   * Stops the agent: SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}.
   *
   * @return whether it has exited
   */
  boolean stop() {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    try {
      if (process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
      process.destroyForcibly();
      return process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  /** {@link #stop()}. @throws IllegalStateException when the agent still runs after SIGKILL */
  @Override
  public void close() {
    if (!stop()) {
      throw new IllegalStateException("the traffic agent (pid " + process.pid() + ") still runs after SIGKILL");
    }
  }

  @Override
  public String toString() {
    return "the traffic agent (pid " + process.pid() + ")";
  }

  /** The agent exited while starting; {@link #lastLine()} usually says why. */
  static final class AgentExitedException extends DevproxyException {
    private static final long serialVersionUID = 1L;

    private final String lastLine;

    AgentExitedException(int exitCode, String lastLine) {
      super(
          ErrorCategory.CONFIG,
          "the traffic agent exited with code " + exitCode + " while starting" + (lastLine.isEmpty() ? "" : ": " + lastLine));
      this.lastLine = lastLine;
    }

    /** Whether a listener's port was taken between choosing it and the agent binding it. */
    boolean portTaken() {
      return lastLine.contains("already in use");
    }
  }
}

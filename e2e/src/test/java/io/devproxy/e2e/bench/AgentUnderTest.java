package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import io.devproxy.e2e.ChildProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The traffic agent's jar in a process of its own, started as the image's entrypoint starts it: {@code java
 * -XX:MaxRAM=<memory limit> @jvm.options [extra flags] -jar devproxy-traffic-agent.jar --listen … --tunnel-listen
 * … --admin-listen … --tls-dir … --app …}. {@code -XX:MaxRAM} stands in for the cgroup limit a container-aware
 * JVM sizes itself from. Its output goes to a log file.
 *
 * <p>{@link #close()} sends SIGTERM, waits 10 s, then kills; idempotent. A shutdown hook kills the agent if the
 * bench's JVM exits without closing it.
 */
final class AgentUnderTest implements AutoCloseable {

  /**
   * How to run the agent.
   *
   * @param jvmOptions the argument file the image passes as {@code @jvm.options}; null for none (JVM defaults)
   * @param maxRamBytes the container memory limit as {@code -XX:MaxRAM}; 0 for none
   * @param extraJvmArgs flags after the argument file, which override it
   * @param env variables set for the agent besides the caller's (an image's {@code ENV}, a container's env)
   */
  record Launch(String java, Path jar, Path jvmOptions, long maxRamBytes, List<String> extraJvmArgs,
      Map<String, String> env, Path tlsDir, Path logDir) {
    Launch {
      requireNonNull(java, "java");
      requireNonNull(jar, "jar");
      extraJvmArgs = List.copyOf(extraJvmArgs);
      env = Map.copyOf(env);
      requireNonNull(tlsDir, "tlsDir");
      requireNonNull(logDir, "logDir");
    }

    List<String> jvmArgs() {
      List<String> args = new ArrayList<>();
      if (maxRamBytes > 0) {
        args.add("-XX:MaxRAM=" + maxRamBytes);
      }
      if (jvmOptions != null) {
        args.add("@" + jvmOptions);
      }
      args.addAll(extraJvmArgs);
      return args;
    }
  }

  private static int started;

  private final ChildProcess child;
  private final Process process;
  private final long spawnedNanos;
  private final InetSocketAddress listen;
  private final InetSocketAddress tunnel;
  private final InetSocketAddress admin;
  private final Path log;

  private AgentUnderTest(ChildProcess child, long spawnedNanos, InetSocketAddress listen, InetSocketAddress tunnel,
      InetSocketAddress admin, Path log) {
    this.child = child;
    this.process = child.process();
    this.spawnedNanos = spawnedNanos;
    this.listen = listen;
    this.tunnel = tunnel;
    this.admin = admin;
    this.log = log;
  }

  /** Starts the agent in front of {@code app} on three free loopback ports; returns before it is ready. */
  static synchronized AgentUnderTest start(Launch launch, InetSocketAddress app) throws IOException {
    InetSocketAddress listen;
    InetSocketAddress tunnel;
    InetSocketAddress admin;
    try (ServerSocket a = bind(); ServerSocket b = bind(); ServerSocket c = bind()) {
      listen = address(a);
      tunnel = address(b);
      admin = address(c);
    }
    List<String> command = new ArrayList<>();
    command.add(launch.java());
    command.addAll(launch.jvmArgs());
    command.addAll(List.of("-jar", launch.jar().toString(),
        "--listen", hostPort(listen), "--tunnel-listen", hostPort(tunnel), "--admin-listen", hostPort(admin),
        "--tls-dir", launch.tlsDir().toString(), "--app", hostPort(app)));
    Path log = launch.logDir().resolve("agent-" + (++started) + ".log");
    Files.writeString(log, launch.env() + " " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true);
    // The image sets none of these; one in the caller's environment would change what is measured.
    builder.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"));
    builder.environment().putAll(launch.env());
    long spawned = System.nanoTime();
    ChildProcess child = ChildProcess.start(builder, "agent-" + started, Duration.ofSeconds(10));
    return new AgentUnderTest(child, spawned, listen, tunnel, admin, log);
  }

  /**
   * Polls {@code /readyz} every 5 ms until it answers 200.
   *
   * @return the time from spawning the process to the first 200
   * @throws IOException when the agent exits first or is not ready within {@code timeout}
   */
  Duration awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("the agent exited with " + process.exitValue() + ": " + tail());
      }
      if (readyz() == 200) {
        return Duration.ofNanos(System.nanoTime() - spawnedNanos);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the agent was not ready within " + timeout + ": " + tail());
      }
      Thread.sleep(5);
    }
  }

  private int readyz() {
    try (Socket s = new Socket()) {
      s.connect(admin, 1000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write("GET /readyz HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12); // "HTTP/1.1 200"
      String status = new String(head, StandardCharsets.US_ASCII);
      return status.startsWith("HTTP/1.1 ") ? Integer.parseInt(status.substring(9, 12)) : -1;
    } catch (IOException | RuntimeException notYet) {
      return -1;
    }
  }

  long pid() {
    return process.pid();
  }

  InetSocketAddress listen() {
    return listen;
  }

  InetSocketAddress tunnel() {
    return tunnel;
  }

  Path log() {
    return log;
  }

  /** The last lines of the agent's log. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    child.close();
  }

  static String hostPort(InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  private static ServerSocket bind() throws IOException {
    return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
  }

  private static InetSocketAddress address(ServerSocket socket) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
  }
}

package io.devproxy.cli.demo;

import io.devproxy.cli.HomeDir;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Everything one demo run starts, and the temporary directory it lives in. The directory is the demo
 * daemon's {@code DEVPROXY_HOME} (socket, pid file, {@code pki/}, {@code state/}, {@code logs/}), and also
 * holds the agent's TLS files ({@code agent-tls/}) and log ({@code logs/agent.log}); the user's own home is
 * never read or written.
 *
 * <p>{@link #close()} stops what was {@link #add added}, last first, then deletes the directory, all but
 * {@code logs/} when {@link #keepLogs()} was called. Thread-safe: a shutdown hook may close the stack while
 * the demo is still starting things; whatever is added after that is stopped at once.
 */
final class DemoStack implements AutoCloseable {

  private final Path dir;
  private final HomeDir home;
  private final DemoDaemon daemon;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final List<String> problems = new ArrayList<>();
  private boolean keepLogs;
  private boolean closed;
  private boolean interrupted;

  private DemoStack(Path dir) throws DevproxyException {
    this.dir = dir;
    this.home = new HomeDir(dir).create();
    this.daemon = new DemoDaemon(home);
  }

  /** A stack in a new directory {@code devproxy-demo-*} under {@code java.io.tmpdir} (mode 0700). */
  static DemoStack create() throws DevproxyException {
    return in(tempDir());
  }

  /** A stack in {@code dir}, which exists and is empty. */
  static DemoStack in(Path dir) throws DevproxyException {
    return new DemoStack(dir);
  }

  private static Path tempDir() throws DevproxyException {
    try {
      // On POSIX systems the directory is created 0700.
      return Files.createTempDirectory("devproxy-demo-").toAbsolutePath();
    } catch (IOException | RuntimeException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot create a temporary directory under " + System.getProperty("java.io.tmpdir") + ": " + e, e);
    }
  }

  Path dir() {
    return dir;
  }

  /** The demo daemon's home. */
  HomeDir home() {
    return home;
  }

  /** The demo's daemon, not started yet; {@link #add} it before its first command so it is stopped first. */
  DemoDaemon daemon() {
    return daemon;
  }

  /** {@code logs/}: the daemon's log and output, and the agent's. */
  Path logsDir() {
    return home.logFile().getParent();
  }

  Path agentLog() {
    return logsDir().resolve("agent.log");
  }

  /** Where the agent reads its TLS files. */
  Path agentTlsDir() {
    return dir.resolve("agent-tls");
  }

  /**
   * Records a started component, for {@link #close()} to stop.
   *
   * @throws DevproxyException INTERNAL, after closing {@code component}, when the stack is already closed
   */
  synchronized <T extends AutoCloseable> T add(T component) throws DevproxyException {
    if (closed) {
      closeQuietly(component);
      throw new DevproxyException(ErrorCategory.INTERNAL, "the demo was stopped");
    }
    started.push(component);
    return component;
  }

  /** Keep {@code logs/} when closing: the run failed and its logs say why. */
  synchronized void keepLogs() {
    keepLogs = true;
  }

  /** Closes the stack from a shutdown hook (Ctrl-C); {@link #interrupted()} tells the demo not to report failures. */
  void interrupt() {
    synchronized (this) {
      interrupted = true;
    }
    close();
  }

  synchronized boolean interrupted() {
    return interrupted;
  }

  synchronized boolean closed() {
    return closed;
  }

  /** What could not be stopped or deleted, one sentence each; empty after a clean {@link #close()}. */
  synchronized List<String> problems() {
    return List.copyOf(problems);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    while (!started.isEmpty()) {
      closeQuietly(started.pop());
    }
    if (!daemon.exited()) {
      problems.add("the demo daemon did not stop");
    }
    try {
      delete(dir, keepLogs ? logsDir() : null);
    } catch (IOException e) {
      problems.add("cannot delete " + dir + ": " + e);
    }
  }

  private void closeQuietly(AutoCloseable component) {
    try {
      component.close();
    } catch (Exception e) {
      problems.add("cannot stop " + component + ": " + e);
    }
  }

  /** Deletes {@code root} and everything under it, except {@code keep} and what it holds (when not null). */
  static void delete(Path root, Path keep) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        return dir.equals(keep) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        // Deleted meanwhile, e.g. the daemon's socket as it stopped.
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) {
          throw e;
        }
        if (keep == null || !keep.startsWith(dir)) {
          Files.deleteIfExists(dir);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }
}

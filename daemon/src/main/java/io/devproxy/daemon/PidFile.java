package io.devproxy.daemon;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code daemon.pid}, holding this process's pid and locked for the daemon's life: the lock, not the
 * file's presence, says a daemon runs (a crashed daemon leaves the file but the OS drops the lock).
 */
final class PidFile implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(PidFile.class.getName());

  private final Path path;
  private final FileChannel channel;
  private final FileLock lock;

  private PidFile(Path path, FileChannel channel, FileLock lock) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
  }

  /** Locks {@code home}'s pid file and writes this pid to it. */
  static PidFile lock(DevproxyHome home) throws DevproxyException {
    Path path = home.pidFile();
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              path,
              java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        String other = Files.readString(path, StandardCharsets.US_ASCII).trim();
        channel.close();
        throw new DevproxyException(
            ErrorCategory.CONFIG,
            "another devproxy daemon (pid "
                + (other.isEmpty() ? "unknown" : other)
                + ") is running on "
                + home
                + "; run 'devproxy quit' to stop it");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
      return new PidFile(path, channel, lock);
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot write the pid file " + path + ": " + e, e);
    }
  }

  /** Removes the file and releases the lock. */
  @Override
  public void close() {
    try {
      Files.deleteIfExists(path);
      lock.release();
      channel.close();
    } catch (IOException e) {
      logger.log(Level.FINE, "closing the pid file " + path, e);
    }
  }
}

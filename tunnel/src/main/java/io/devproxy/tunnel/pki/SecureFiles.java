package io.devproxy.tunnel.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes files so that a reader sees either the old or the complete new content, and so that a secret
 * is never readable by others, not even for a moment.
 */
final class SecureFiles {

  /** rw------- */
  static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
  /** rw-r--r-- */
  static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");
  /** rwx------ */
  static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");

  private static final Object IN_PROCESS_LOCK = new Object();

  private SecureFiles() {}

  /**
   * Creates {@code dir} and any missing parents with mode 0700; an existing directory is left as it is.
   */
  static void createPrivateDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      if (isPosix(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
        // The mode passed to mkdir(2) is reduced by the umask.
        Files.setPosixFilePermissions(dir, PRIVATE_DIRECTORY);
      } else {
        Files.createDirectories(dir);
      }
    } catch (FileAlreadyExistsException e) {
      throw new PkiFileException(dir, "exists but is not a directory; move it away", e);
    }
  }

  /**
   * Replaces {@code file} with {@code content}: writes a temporary file with mode {@code mode} in the same
   * directory, flushes it to disk and renames it over {@code file}. On a file system without POSIX
   * permissions the mode is ignored.
   */
  static void writeAtomically(Path file, byte[] content, Set<PosixFilePermission> mode)
      throws IOException {
    Path absolute = file.toAbsolutePath();
    Path dir = absolute.getParent();
    boolean posix = isPosix(dir);
    FileAttribute<?>[] attributes = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)}
        : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp", attributes);
    boolean moved = false;
    try {
      if (posix) {
        // Created with mode & ~umask; set exactly what was asked (0644 may have lost its read bits).
        Files.setPosixFilePermissions(temp, mode);
      }
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /** An action on files that may throw {@link IOException}. */
  @FunctionalInterface
  interface IoAction<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code action} while holding the lock file {@code lockFile} (created 0600 if absent), so that
   * two processes (the daemon and a CLI command) or two threads never create the same key pair at once.
   */
  @SuppressWarnings("try") // the lock is held, not used
  static <T> T withLock(Path lockFile, IoAction<T> action) throws IOException {
    FileAttribute<?>[] attributes = isPosix(lockFile.toAbsolutePath().getParent())
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE_FILE)}
        : new FileAttribute<?>[0];
    // A FileLock is held by the whole JVM: threads of this process are serialized by the monitor.
    synchronized (IN_PROCESS_LOCK) {
      try (FileChannel channel = FileChannel.open(lockFile,
              Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), attributes);
          FileLock lock = channel.lock()) {
        return action.run();
      }
    }
  }

  private static boolean isPosix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}

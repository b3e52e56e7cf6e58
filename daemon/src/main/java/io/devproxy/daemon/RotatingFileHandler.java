package io.devproxy.daemon;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.ErrorManager;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

/**
 * Appends to one file that keeps its name ({@code daemon.log}), and when it passes {@code limitBytes},
 * shifts it to {@code daemon.log.1} (… up to {@code .<count-1>}, the oldest dropped) and starts anew.
 * {@link java.util.logging.FileHandler} cannot do this: its current file is always {@code daemon.log.0}
 * once it rotates, and the CLI's hints name {@code daemon.log}.
 *
 * <p>Flushes after every record, so a crash loses nothing written. Thread-safe.
 */
final class RotatingFileHandler extends StreamHandler {

  private final Path file;
  private final long limitBytes;
  private final int count;
  private CountingStream stream;

  RotatingFileHandler(Path file, long limitBytes, int count) throws IOException {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("limitBytes: " + limitBytes + " (expected: > 0)");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count: " + count + " (expected: >= 1)");
    }
    this.file = file;
    this.limitBytes = limitBytes;
    this.count = count;
    open();
  }

  private void open() throws IOException {
    long size = Files.exists(file) ? Files.size(file) : 0;
    if (size == 0) {
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (FileAlreadyExistsException ignored) {
        // Kept as it is.
      }
    }
    OutputStream out =
        Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    stream = new CountingStream(out, size);
    setOutputStream(stream);
  }

  @Override
  public synchronized void publish(LogRecord record) {
    if (!isLoggable(record)) {
      return;
    }
    super.publish(record);
    flush();
    if (stream.written >= limitBytes) {
      try {
        rotate();
      } catch (IOException e) {
        reportError("cannot rotate " + file, e, ErrorManager.WRITE_FAILURE);
      }
    }
  }

  private void rotate() throws IOException {
    for (int i = count - 1; i >= 1; i--) {
      Path from = i == 1 ? file : generation(i - 1);
      if (Files.exists(from)) {
        Files.move(from, generation(i), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (count == 1) {
      Files.deleteIfExists(file);
    }
    open(); // closes the previous stream
  }

  private Path generation(int i) {
    return file.resolveSibling(file.getFileName() + "." + i);
  }

  private static final class CountingStream extends FilterOutputStream {
    long written;

    CountingStream(OutputStream out, long written) {
      super(out);
      this.written = written;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      written++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      written += len;
    }
  }
}

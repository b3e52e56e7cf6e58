package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Follows the daemon's log as it grows, as {@code tail -F} does: across rotation (the daemon moves {@code daemon.log}
 * to {@code daemon.log.1} and starts a new {@code daemon.log}) and truncation. Lines are passed on whole; a line the
 * daemon has not finished yet waits for its newline.
 *
 * <p>Not thread-safe: one thread calls {@link #poll} (the caller decides how often) and {@link #close}.
 */
final class LogFollower implements AutoCloseable {

  private final Path file;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private FileChannel channel;
  private Object fileKey;
  private long position;

  private LogFollower(Path file, FileChannel channel, Object fileKey, long position) {
    this.file = file;
    this.channel = channel;
    this.fileKey = fileKey;
    this.position = position;
  }

  /**
   * Follows {@code file} from its current end.
   *
   * @throws NoSuchFileException when there is no such file
   */
  static LogFollower fromEnd(Path file) throws IOException {
    requireNonNull(file, "file");
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new LogFollower(file, channel, Files.readAttributes(file, BasicFileAttributes.class).fileKey(),
          channel.size());
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  /** The byte offset, in the file followed now, up to which lines have been passed on or buffered. */
  long position() {
    return position;
  }

  /**
   * Passes on the lines written since the last call, in order: the rest of a file rotated away, then the new file's.
   */
  void poll(Consumer<String> lines) throws IOException {
    // Look at the name before draining: once a new file has it, the daemon writes nothing more to the old one, so
    // draining the old one after this look loses nothing.
    BasicFileAttributes now;
    try {
      now = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      now = null; // between the move and the new file: keep reading the old one
    }
    if (now != null && now.size() < position && Objects.equals(now.fileKey(), fileKey)) {
      position = 0; // truncated in place
      partial.reset();
    }
    drain(lines);
    if (now != null && fileKey != null && !fileKey.equals(now.fileKey())) {
      flushPartial(lines);
      FileChannel next;
      try {
        next = FileChannel.open(file, StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        return; // moved again meanwhile: the next poll sees the newest
      }
      channel.close();
      channel = next;
      fileKey = now.fileKey();
      position = 0;
      drain(lines);
    }
  }

  private void drain(Consumer<String> lines) throws IOException {
    while (true) {
      buffer.clear();
      int read = channel.read(buffer, position);
      if (read <= 0) {
        return;
      }
      position += read;
      byte[] bytes = buffer.array();
      int lineStart = 0;
      for (int i = 0; i < read; i++) {
        if (bytes[i] == '\n') {
          partial.write(bytes, lineStart, i - lineStart);
          emit(lines);
          lineStart = i + 1;
        }
      }
      partial.write(bytes, lineStart, read - lineStart);
    }
  }

  /** Passes on the unfinished line of a file rotated away, if there is one. */
  private void flushPartial(Consumer<String> lines) {
    if (partial.size() > 0) {
      emit(lines);
    }
  }

  private void emit(Consumer<String> lines) {
    String line = partial.toString(StandardCharsets.UTF_8);
    partial.reset();
    lines.accept(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}

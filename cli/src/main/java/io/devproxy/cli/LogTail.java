package io.devproxy.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lines of the daemon's log, across its generations: {@code daemon.log}, then {@code daemon.log.1} and
 * older when the current file has fewer lines than asked for (it was just rotated). Reads backwards from the end,
 * so a full 10 MiB generation costs no more than the lines shown.
 */
final class LogTail {

  /** How many files the daemon keeps: {@code daemon.log} and {@code .1} … {@code .4} (the daemon's DaemonLog). */
  static final int GENERATIONS = 5;

  private static final int CHUNK = 8192;

  private LogTail() {}

  /**
   * The last {@code count} lines of {@code log} up to byte {@code end}, preceded by older generations' lines when it
   * has fewer.
   */
  static List<String> last(Path log, long end, int count) throws IOException {
    List<String> lines = lastOf(log, end, count);
    for (int generation = 1; generation < GENERATIONS && lines.size() < count; generation++) {
      List<String> older;
      try {
        older = lastOf(generation(log, generation), -1, count - lines.size());
      } catch (NoSuchFileException e) {
        break;
      }
      older.addAll(lines);
      lines = older;
    }
    return lines;
  }

  /** {@code log.N}: the {@code n}th older generation. */
  static Path generation(Path log, int n) {
    return log.resolveSibling(log.getFileName() + "." + n);
  }

  /** The last {@code count} lines of {@code file} up to {@code end} (-1: its size). */
  private static List<String> lastOf(Path file, long end, int count) throws IOException {
    if (count <= 0) {
      return new ArrayList<>();
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = end < 0 ? channel.size() : Math.min(end, channel.size());
      long start = startOfLastLines(channel, size, count);
      ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(size - start));
      while (bytes.hasRemaining() && channel.read(bytes, start + bytes.position()) >= 0) {
        // reads until the buffer is full
      }
      String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
      return new ArrayList<>(text.lines().toList());
    }
  }

  /** Where the last {@code count} lines before {@code size} start: after the {@code count}th newline from the end. */
  private static long startOfLastLines(FileChannel channel, long size, int count) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
    long position = size;
    int newlines = 0;
    while (position > 0) {
      int length = (int) Math.min(CHUNK, position);
      position -= length;
      chunk.clear().limit(length);
      while (chunk.hasRemaining() && channel.read(chunk, position + chunk.position()) >= 0) {
        // reads until the chunk is full
      }
      for (int i = length - 1; i >= 0; i--) {
        // The newline that ends the last line does not start a line.
        if (chunk.get(i) == '\n' && position + i != size - 1 && ++newlines == count) {
          return position + i + 1;
        }
      }
    }
    return 0;
  }
}

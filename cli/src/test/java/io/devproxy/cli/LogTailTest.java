package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTailTest {

  @TempDir Path dir;

  private static String lines(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
  }

  @Test
  void lastLinesOfALongFileReadAcrossChunks() throws Exception {
    Path log = dir.resolve("daemon.log");
    Files.writeString(log, lines(1, 5000)); // ~50 KiB: several of the reader's chunks

    assertThat(LogTail.last(log, Files.size(log), 3)).containsExactly("line 4998", "line 4999", "line 5000");
    assertThat(LogTail.last(log, Files.size(log), 2000)).hasSize(2000).startsWith("line 3001").endsWith("line 5000");
  }

  @Test
  void anUnfinishedLastLineCountsAndTheEndBoundsTheRead() throws Exception {
    Path log = dir.resolve("daemon.log");
    Files.writeString(log, "a\nb\nc");

    assertThat(LogTail.last(log, Files.size(log), 2)).containsExactly("b", "c");
    assertThat(LogTail.last(log, 4, 5)).containsExactly("a", "b");
  }

  @Test
  void aJustRotatedLogIsPrecededByTheOlderGenerations() throws Exception {
    Path log = dir.resolve("daemon.log");
    Files.writeString(LogTail.generation(log, 2), lines(1, 3));
    Files.writeString(LogTail.generation(log, 1), lines(4, 6));
    Files.writeString(log, lines(7, 7));

    assertThat(LogTail.last(log, Files.size(log), 4)).containsExactly("line 4", "line 5", "line 6", "line 7");
    assertThat(LogTail.last(log, Files.size(log), 100)).hasSize(7).startsWith("line 1");
  }

  @Test
  void emptyFileOrZeroLinesGiveNothing() throws Exception {
    Path log = dir.resolve("daemon.log");
    Files.writeString(log, "");
    Files.writeString(LogTail.generation(log, 1), lines(1, 2));

    assertThat(LogTail.last(log, 0, 0)).isEmpty();
    assertThat(LogTail.last(log, 0, 1)).isEqualTo(List.of("line 2"));
  }
}

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFollowerTest {

  @TempDir Path dir;

  private final List<String> seen = new ArrayList<>();

  private static void append(Path file, String text) throws Exception {
    Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void passesOnWholeLinesWrittenAfterItStarted() throws Exception {
    Path log = dir.resolve("daemon.log");
    append(log, "before\n");
    try (LogFollower follower = LogFollower.fromEnd(log)) {
      append(log, "one\ntw");
      follower.poll(seen::add);
      assertThat(seen).containsExactly("one");

      append(log, "o\n\nthree\n");
      follower.poll(seen::add);
      assertThat(seen).containsExactly("one", "two", "", "three");
    }
  }

  @Test
  void followsTheDaemonsRotationWithoutLosingTheOldFilesLastLines() throws Exception {
    Path log = dir.resolve("daemon.log");
    append(log, "start\n");
    try (LogFollower follower = LogFollower.fromEnd(log)) {
      append(log, "last of the old file\n");
      // As RotatingFileHandler rotates: the file moves to .1, a new one takes the name.
      Files.move(log, LogTail.generation(log, 1), StandardCopyOption.REPLACE_EXISTING);
      follower.poll(seen::add); // between the move and the new file
      append(log, "first of the new file\n");
      follower.poll(seen::add);
      append(log, "second\n");
      follower.poll(seen::add);

      assertThat(seen).containsExactly("last of the old file", "first of the new file", "second");
    }
  }

  @Test
  void aTruncatedFileIsReadFromItsStart() throws Exception {
    Path log = dir.resolve("daemon.log");
    append(log, "a long line that goes away\n");
    try (LogFollower follower = LogFollower.fromEnd(log)) {
      Files.writeString(log, "new\n", StandardOpenOption.TRUNCATE_EXISTING);
      follower.poll(seen::add);

      assertThat(seen).containsExactly("new");
    }
  }
}

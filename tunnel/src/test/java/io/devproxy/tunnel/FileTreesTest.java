package io.devproxy.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {

  @TempDir
  Path dir;

  @Test
  void deletesTheTreeButNotWhatALinkInItPointsTo() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root/a/b"));
    Files.writeString(root.resolve("file"), "x");
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("kept"), "y");
    Files.createSymbolicLink(dir.resolve("root/link"), outside);

    FileTrees.delete(dir.resolve("root"));

    assertThat(dir.resolve("root")).doesNotExist();
    assertThat(outside.resolve("kept")).hasContent("y");
  }

  @Test
  void aMissingTreeIsNothingToDo() throws Exception {
    FileTrees.delete(dir.resolve("nothing-here"));

    assertThat(dir).isEmptyDirectory();
  }
}

package io.devproxy.tunnel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Directory trees on disk. */
public final class FileTrees {

  private FileTrees() {}

  /**
   * Deletes {@code root} and everything under it, deepest first; what is already gone is skipped. Does not follow
   * symbolic links: a link is deleted, not its target.
   *
   * @throws IOException the first file or directory that could not be deleted, with what is left of the tree
   */
  public static void delete(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> deepestFirst;
    try (Stream<Path> paths = Files.walk(root)) {
      deepestFirst = paths.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path path : deepestFirst) {
      Files.deleteIfExists(path);
    }
  }
}

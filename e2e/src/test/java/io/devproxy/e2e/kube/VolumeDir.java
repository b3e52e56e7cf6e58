package io.devproxy.e2e.kube;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A Secret or ConfigMap volume on disk, laid out as the kubelet's AtomicWriter does: the files sit in a
 * {@code ..<generation>} directory, {@code ..data} is a symlink to it, and each top-level name is a symlink through
 * {@code ..data}. An update writes a new directory and swaps {@code ..data} with one rename, so a reader sees the
 * old set or the new set, never a mix, and the files keep their own modification times across the swap (which is
 * why the agent compares content, not times). Not thread-safe: one kubelet thread writes.
 */
final class VolumeDir {

  static final String DATA = "..data";
  private static final String DATA_TMP = "..data_tmp";

  /** One file of the volume: its content and its mode bits (e.g. 0644). */
  record File(byte[] content, int mode) {

    File {
      requireNonNull(content, "content");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof File f && f.mode == mode && Arrays.equals(f.content, content);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(content) + mode;
    }

    @Override
    public String toString() {
      return "File[" + content.length + " bytes, mode " + Integer.toOctalString(mode) + "]";
    }
  }

  private final Path dir;
  private Map<String, File> written;
  private int generation;

  VolumeDir(Path dir) {
    this.dir = requireNonNull(dir, "dir");
  }

  Path path() {
    return dir;
  }

  /**
   * Makes the volume hold exactly {@code files} (relative path, e.g. {@code server.crt} or {@code conf/app.yaml},
   * to file). Does nothing when they equal what was written last.
   *
   * @return whether the volume changed
   * @throws IllegalArgumentException for an absolute path or one with a {@code ..} segment
   */
  boolean write(Map<String, File> files) throws IOException {
    if (files.equals(written)) {
      return false;
    }
    Set<String> topLevel = new HashSet<>();
    for (String name : files.keySet()) {
      Path relative = Path.of(name);
      if (relative.isAbsolute() || name.isEmpty() || Arrays.stream(name.split("/")).anyMatch(s -> s.equals(".."))) {
        throw new IllegalArgumentException("volume path: " + name + " (expected: relative, without '..')");
      }
      topLevel.add(relative.getName(0).toString());
    }
    Files.createDirectories(dir);
    generation++;
    String version = ".." + generation + "_" + System.currentTimeMillis();
    Path versionDir = dir.resolve(version);
    Files.createDirectory(versionDir);
    for (Map.Entry<String, File> e : files.entrySet()) {
      Path target = versionDir.resolve(e.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, e.getValue().content());
      Files.setPosixFilePermissions(target, permissions(e.getValue().mode()));
    }
    Path tmp = dir.resolve(DATA_TMP);
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, Path.of(version));
    Files.move(tmp, dir.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    for (String name : topLevel) {
      Path link = dir.resolve(name);
      if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, Path.of(DATA, name));
      }
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        boolean stale = name.startsWith("..") ? !name.equals(DATA) && !name.equals(version) : !topLevel.contains(name);
        if (stale) {
          deleteRecursively(entry);
        }
      }
    }
    written = Map.copyOf(files);
    return true;
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(path);
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }
}

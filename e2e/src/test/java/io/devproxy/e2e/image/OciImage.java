package io.devproxy.e2e.image;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A single-platform image in an OCI image layout tar ({@code jib:buildTar} with OCI format): its manifest, its
 * config, and its layers unpacked in order into a directory, as a container runtime prepares a root file system.
 * Every blob read is checked against its digest. Unpacking uses the system's {@code tar}, which keeps modes and
 * numeric owners when run as root.
 */
final class OciImage {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  /** The parts of the image config a runtime starts a container from. */
  record Config(List<String> entrypoint, List<String> cmd, List<String> env, String user, String workingDir,
      Set<String> exposedPorts, Map<String, String> labels, String created, String architecture, String os) {}

  /** One layer: its compressed digest and size, and the comment Jib gives it (the layer's name). */
  record Layer(String digest, long size, String name) {}

  private final Path layout;
  private final String manifestDigest;
  private final List<Layer> layers;
  private final Config config;

  private OciImage(Path layout, String manifestDigest, List<Layer> layers, Config config) {
    this.layout = layout;
    this.manifestDigest = manifestDigest;
    this.layers = layers;
    this.config = config;
  }

  /**
   * Unpacks {@code tar} into {@code workDir} and reads its only manifest.
   *
   * @throws IOException when the tar is not an OCI image layout with one image, or a blob does not match its digest
   */
  static OciImage read(Path tar, Path workDir) throws IOException, InterruptedException {
    Path layout = Files.createDirectories(workDir);
    run(List.of("tar", "-xf", tar.toString(), "-C", layout.toString()));
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    if (index.path("manifests").size() != 1) {
      throw new IOException(tar + ": expected one manifest in index.json, found " + index.path("manifests").size());
    }
    String manifestDigest = index.path("manifests").get(0).path("digest").asString();
    JsonNode manifest = JSON.readTree(verifiedBlob(layout, manifestDigest).toFile());
    JsonNode configJson = JSON.readTree(verifiedBlob(layout, manifest.path("config").path("digest").asString())
        .toFile());

    List<String> names = new ArrayList<>();
    configJson.path("history").forEach(h -> {
      if (!h.path("empty_layer").asBoolean(false)) {
        names.add(h.path("comment").asString(""));
      }
    });
    List<Layer> layers = new ArrayList<>();
    for (JsonNode layer : manifest.path("layers")) {
      String mediaType = layer.path("mediaType").asString();
      if (!mediaType.endsWith("tar+gzip") && !mediaType.endsWith("tar.gzip")) {
        throw new IOException(tar + ": layer media type " + mediaType + " (expected: a gzipped tar)");
      }
      int i = layers.size();
      layers.add(new Layer(layer.path("digest").asString(), layer.path("size").asLong(),
          i < names.size() ? names.get(i) : ""));
    }
    JsonNode c = configJson.path("config");
    TreeSet<String> ports = new TreeSet<>();
    c.path("ExposedPorts").propertyNames().forEach(ports::add);
    Map<String, String> labels = new LinkedHashMap<>();
    c.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
    Config config = new Config(strings(c.path("Entrypoint")), strings(c.path("Cmd")), strings(c.path("Env")),
        c.path("User").asString(""), c.path("WorkingDir").asString(""), Set.copyOf(ports), Map.copyOf(labels),
        configJson.path("created").asString(""), configJson.path("architecture").asString(""),
        configJson.path("os").asString(""));
    return new OciImage(layout, manifestDigest, List.copyOf(layers), config);
  }

  /** {@code sha256:...} of the manifest: the image digest a registry reports. */
  String digest() {
    return manifestDigest;
  }

  Config config() {
    return config;
  }

  List<Layer> layers() {
    return layers;
  }

  /**
   * Applies the layers in order onto {@code rootfs} (created if absent): a whiteout {@code .wh.NAME} deletes NAME
   * from the layers below, an opaque whiteout empties its directory of them; both markers are then removed.
   */
  void unpack(Path rootfs) throws IOException, InterruptedException {
    Files.createDirectories(rootfs);
    for (Layer layer : layers) {
      Path blob = verifiedBlob(layout, layer.digest());
      for (String entry : run(List.of("tar", "-tzf", blob.toString(), "--warning=no-unknown-keyword")).lines()
          .toList()) {
        Path path = rootfs.resolve(entry).normalize();
        if (!path.startsWith(rootfs)) {
          throw new IOException(layer.digest() + ": entry " + entry + " points outside the root file system");
        }
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        if (name.equals(OPAQUE)) {
          try (Stream<Path> below = Files.exists(path.getParent()) ? Files.list(path.getParent()) : Stream.empty()) {
            for (Path p : below.toList()) {
              deleteTree(p);
            }
          }
        } else if (name.startsWith(WHITEOUT)) {
          deleteTree(path.resolveSibling(name.substring(WHITEOUT.length())));
        }
      }
      run(List.of("tar", "-xzpf", blob.toString(), "-C", rootfs.toString(), "--numeric-owner",
          "--warning=no-unknown-keyword"));
      try (Stream<Path> all = Files.walk(rootfs)) {
        for (Path marker : all.filter(p -> p.getFileName().toString().startsWith(WHITEOUT)).toList()) {
          deleteTree(marker);
        }
      }
    }
  }

  private static Path verifiedBlob(Path layout, String digest) throws IOException {
    requireNonNull(digest, "digest");
    if (!digest.startsWith("sha256:")) {
      throw new IOException("digest " + digest + " (expected: sha256:...)");
    }
    Path blob = layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(blob), sha256)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    String actual = "sha256:" + HexFormat.of().formatHex(sha256.digest());
    if (!actual.equals(digest)) {
      throw new IOException(blob + " has digest " + actual + ", not " + digest);
    }
    return blob;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asString()));
    return List.copyOf(values);
  }

  private static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(path)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Runs {@code command}; returns its standard output, or throws with its error output when it fails. */
  static String run(List<String> command) throws IOException, InterruptedException {
    Path err = Files.createTempFile("oci", ".err");
    try {
      Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
      process.getOutputStream().close();
      String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 60 s");
      }
      if (process.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ": "
            + Files.readString(err).strip());
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }

}

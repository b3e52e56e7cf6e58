package io.devproxy.e2e.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.e2e.Jars;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Jib-built image holds what the Docker build holds: the files images/traffic-agent/rootfs.sh laid out (with
 * its modes, none left out as a symbolic link: the runtime, the jar, jvm.options and the class-data archive), and the
 * config the Dockerfile writes (entrypoint, user, variables, ports, labels). Runs as any user; skips without the
 * image, like the other image tests.
 */
class AgentImageContentsTest {

  @TempDir
  static Path work;

  static OciImage image;
  static Path unpacked;

  @BeforeAll
  static void unpack() throws Exception {
    AgentImageBuild.assumeBuilt();
    image = OciImage.read(AgentImageBuild.TAR, work.resolve("oci"));
    unpacked = work.resolve("rootfs");
    image.unpack(unpacked);
  }

  @Test
  void imageHoldsTheRootfsScriptsFilesWithTheirModesAndTheAgent() throws IOException {
    assertThat(files(unpacked)).isEqualTo(files(AgentImageBuild.ROOTFS))
        .containsKeys("/opt/devproxy/devproxy-traffic-agent.jar", "/opt/devproxy/agent.jsa");
    Path jar = unpacked.resolve("opt/devproxy/devproxy-traffic-agent.jar");
    assertThat(Files.mismatch(jar, Jars.AGENT)).isEqualTo(-1);
    // The class-data archive recorded the jar's time as rootfs.sh set it; Jib gives every file the same one.
    assertThat(Files.getLastModifiedTime(jar).toMillis()).isEqualTo(1000)
        .isEqualTo(Files.getLastModifiedTime(AgentImageBuild.ROOTFS.resolve("opt/devproxy/devproxy-traffic-agent.jar"))
            .toMillis());
    assertThat(Files.readString(unpacked.resolve("opt/devproxy/jvm.options")))
        .startsWith(Files.readString(AgentImageBuild.JVM_OPTIONS))
        .endsWith("\n-XX:SharedArchiveFile=/opt/devproxy/agent.jsa\n");
    assertThat(image.layers()).extracting(OciImage.Layer::name)
        .containsExactly("users", "glibc", "java runtime", "agent", "class data");
  }

  @Test
  void dockerfileWritesTheSameConfig() throws IOException {
    Map<String, String> docker = dockerfile(Files.readString(AgentImageBuild.DOCKERFILE));
    OciImage.Config config = image.config();
    JsonMapper json = JsonMapper.builder().build();

    assertThat(json.readValue(docker.get("ENTRYPOINT"), String[].class)).containsExactlyElementsOf(
        config.entrypoint());
    assertThat(config.entrypoint()).containsExactly("/opt/devproxy/java/bin/java", "@/opt/devproxy/jvm.options",
        "-jar", "/opt/devproxy/devproxy-traffic-agent.jar");
    assertThat(docker.get("USER")).isEqualTo(config.user()).isEqualTo("65532:65532");
    assertThat(docker.get("WORKDIR")).isEqualTo(config.workingDir());
    assertThat(List.of(docker.get("ENV").split(" "))).containsExactlyElementsOf(config.env());
    assertThat(Stream.of(docker.get("EXPOSE").split(" ")).map(p -> p + "/tcp").collect(Collectors.toSet()))
        .isEqualTo(config.exposedPorts());
    assertThat(labels(docker.get("LABEL"), docker.get("ARG"))).isEqualTo(config.labels());
    assertThat(config.labels()).containsOnlyKeys("org.opencontainers.image.title",
        "org.opencontainers.image.description", "org.opencontainers.image.source",
        "org.opencontainers.image.licenses", "org.opencontainers.image.version");
    assertThat(docker).doesNotContainKey("HEALTHCHECK");
    assertThat(config.architecture() + "/" + config.os()).isEqualTo("amd64/linux");
  }

  /** Each regular file and directory under {@code root}, as an image path, with its mode and (files) size. */
  private static Map<String, String> files(Path root) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        if (p.equals(root)) {
          continue;
        }
        assertThat(Files.isSymbolicLink(p)).as("%s is a symbolic link, which Jib leaves out", p).isFalse();
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        files.put("/" + root.relativize(p), Files.isDirectory(p) ? mode + " dir" : mode + " " + Files.size(p));
      }
    }
    return files;
  }

  /**
   * The run stage's instructions (the last FROM on), each instruction's arguments with continuation lines
   * joined. Only the instructions this image uses; a second one of a kind replaces the first.
   */
  private static Map<String, String> dockerfile(String text) {
    String joined = text.replaceAll("\\\\\\n\\s*", " ");
    List<String> lines = new ArrayList<>(joined.lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList());
    int from = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("FROM ")) {
        from = i;
      }
    }
    Map<String, String> instructions = new HashMap<>();
    for (String line : lines.subList(from + 1, lines.size())) {
      int space = line.indexOf(' ');
      instructions.put(line.substring(0, space), line.substring(space + 1).strip());
    }
    return instructions;
  }

  /** {@code LABEL k="v" ...}, with {@code ${NAME}} replaced by {@code ARG NAME=default}. */
  private static Map<String, String> labels(String label, String arg) {
    String[] nameAndDefault = arg.split("=", 2);
    Map<String, String> labels = new LinkedHashMap<>();
    Matcher m = Pattern.compile("([\\w.]+)=\"([^\"]*)\"").matcher(label);
    while (m.find()) {
      labels.put(m.group(1), m.group(2).replace("${" + nameAndDefault[0] + "}", nameAndDefault[1]));
    }
    return labels;
  }
}

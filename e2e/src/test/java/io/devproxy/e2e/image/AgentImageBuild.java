package io.devproxy.e2e.image;

import io.devproxy.e2e.Jars;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What the reactor's profile {@code image} builds (traffic-agent/pom.xml) and the files it is built from. The image
 * tests skip when the tar is absent, unless {@value #REQUIRE_ENV} is {@code 1} (as in {@code .ci/run}): then they
 * fail, saying how to build it.
 */
final class AgentImageBuild {

  /** With {@code 1}, a missing image or a machine that cannot run it fails the image tests instead of skipping them. */
  static final String REQUIRE_ENV = "DEVPROXY_REQUIRE_IMAGE";

  static final Path REPO = Jars.AGENT.getParent().getParent().getParent();
  static final Path TAR = REPO.resolve("traffic-agent/target/devproxy-traffic-agent-image.tar");
  /** What images/traffic-agent/rootfs.sh laid out for the image in the same build. */
  static final Path ROOTFS = REPO.resolve("traffic-agent/target/image-rootfs");
  static final Path SOURCES = REPO.resolve("images/traffic-agent");
  static final Path DOCKERFILE = SOURCES.resolve("Dockerfile");
  static final Path JAVA_MODULES = SOURCES.resolve("java-modules");
  static final Path JVM_OPTIONS = SOURCES.resolve("jvm.options");

  private AgentImageBuild() {}

  /** Skips the calling test, or fails it under {@value #REQUIRE_ENV}=1, when the image tar has not been built. */
  static void assumeBuilt() {
    if (!Files.isRegularFile(TAR)) {
      skipOrFail("no agent image at " + TAR + ": build it with ./mvnw -Pimage -pl traffic-agent -am package"
          + " -DskipTests");
    }
    // A build without the profile remakes the jar and leaves an older image behind, which holds another jar.
    try {
      if (Files.getLastModifiedTime(TAR).compareTo(Files.getLastModifiedTime(Jars.AGENT)) < 0) {
        skipOrFail("the agent image at " + TAR + " is older than " + Jars.AGENT + ": build it again with ./mvnw"
            + " -Pimage -pl traffic-agent -am package -DskipTests");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Skips the calling test, or fails it with {@code reason} under {@value #REQUIRE_ENV}=1. */
  static void skipOrFail(String reason) {
    if ("1".equals(System.getenv(REQUIRE_ENV))) {
      Assertions.fail(reason + " (" + REQUIRE_ENV + "=1)");
    }
    Assumptions.abort(reason);
  }
}

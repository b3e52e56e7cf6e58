package io.devproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's class-data archive: the training that images/traffic-agent/classlist.sh records the class list from
 * (each step checks its answer, so a broken path fails here rather than in a list left short), and the committed list
 * naming only classes of ours that still exist.
 */
class CdsTrainingTest {

  private static final Path CLASS_LIST = Path.of("..", "images", "traffic-agent", "agent.classlist");

  @TempDir
  Path dir;

  @Test
  void trainingPassesARequestThroughAndInterceptsOneThroughTheTunnel() throws Exception {
    CdsTraining.train(dir);

    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("pki", "tls");
    }
  }

  @Test
  void classListNamesOnlyClassesOfOursThatExist() throws IOException {
    List<String> ours = Files.readAllLines(CLASS_LIST).stream()
        .filter(line -> line.startsWith("io/devproxy/"))
        .map(line -> line.split(" ", 2)[0])
        .toList();

    assertThat(ours).as("the agent's own classes in %s", CLASS_LIST).hasSizeGreaterThan(100)
        .contains("io/devproxy/agent/TrafficAgent", "io/devproxy/agent/front/Http1FrontHandler")
        .allSatisfy(name -> assertThat(CdsTrainingTest.class.getClassLoader().getResource(name + ".class"))
            .as("%s, named in %s: run images/traffic-agent/classlist.sh again", name, CLASS_LIST).isNotNull());
  }
}

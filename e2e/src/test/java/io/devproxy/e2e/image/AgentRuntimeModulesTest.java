package io.devproxy.e2e.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.e2e.Jars;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * images/traffic-agent/java-modules, the modules of the agent image's jlinked runtime, against what jdeps finds
 * the shaded agent jar using: every module it names is in the list or known to be optional, and every module in the
 * list is one it names or one only looked up at run time. AgentImageChrootTest runs the result.
 */
class AgentRuntimeModulesTest {

  /** Modules the jar's classes name that the agent runs without: each library checks for them first. */
  private static final Map<String, String> OPTIONAL = Map.of(
      "java.desktop", "Jackson's java.beans annotations (JavaBeansAnnotations catches their absence)",
      "java.sql", "Jackson's and Gson's java.sql types, looked up by class name",
      "java.xml", "Jackson's DOM and XML date types, looked up by class name",
      "jdk.jfr", "Netty's buffer events (PlatformDependent turns them off when FlightRecorder is missing)");

  /** Modules no class names: providers the JDK finds at run time. */
  private static final Map<String, String> RUNTIME_ONLY = Map.of(
      "jdk.crypto.ec", "the SunEC provider: EC keys and ECDHE in TLS");

  @Test
  void runtimeHasEveryModuleTheAgentNeedsAndNoOther() throws IOException {
    Set<String> used = jdepsModules();
    Set<String> listed = listedModules();

    assertThat(used).as("jdeps on %s", Jars.AGENT).contains("java.base", "java.net.http");
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(listed);
    missing.removeAll(OPTIONAL.keySet());
    assertThat(missing).as("modules the agent uses that %s lacks", AgentImageBuild.JAVA_MODULES).isEmpty();
    Set<String> unused = new TreeSet<>(listed);
    unused.removeAll(used);
    unused.removeAll(RUNTIME_ONLY.keySet());
    assertThat(unused).as("modules in %s that nothing uses", AgentImageBuild.JAVA_MODULES).isEmpty();
    assertThat(listed).doesNotContainAnyElementsOf(OPTIONAL.keySet());
  }

  private static Set<String> jdepsModules() {
    assertThat(Jars.AGENT).exists();
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError(
        "no jdeps in this Java runtime: run the tests on a JDK"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err), "--ignore-missing-deps", "--multi-release",
        "17", "--list-deps", Jars.AGENT.toString());
    assertThat(exit).as("jdeps: %s", err).isZero();
    Set<String> modules = new TreeSet<>();
    out.toString().lines().map(String::strip).filter(l -> !l.isEmpty())
        .forEach(l -> modules.add(l.contains("/") ? l.substring(0, l.indexOf('/')) : l));
    return modules;
  }

  private static Set<String> listedModules() throws IOException {
    Set<String> modules = new TreeSet<>();
    Files.readAllLines(AgentImageBuild.JAVA_MODULES).stream().map(l -> l.replaceAll("#.*", "").strip())
        .filter(l -> !l.isEmpty()).forEach(modules::add);
    return modules;
  }
}

package io.devproxy.e2e.kube;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the traffic agent's image runs, as a local process: its entrypoint is {@code java @jvm.options -jar
 * devproxy-traffic-agent.jar} (the repository's {@code images/traffic-agent/jvm.options} as the argument file),
 * followed by the container's {@code args}. A {@code command} replaces the entrypoint when it starts with
 * {@code java} (the host's java runs it, any argument naming a {@code devproxy-traffic-agent.jar} means the built
 * jar, and {@code @.../jvm.options} the repository's file); any other command cannot run without the image.
 *
 * <p>The container's memory limit becomes {@code -XX:MaxRAM}, which is what a container-aware JVM derives from its
 * cgroup, so the agent's heap is sized as in the cluster.
 */
final class AgentImage {

  private static final String JAR_NAME = "devproxy-traffic-agent.jar";
  private static final String OPTIONS_NAME = "jvm.options";

  private final String java;
  private final Path jar;
  private final Path jvmOptions;

  /** @param jvmOptions the image's JVM flags, passed as {@code @jvmOptions} */
  AgentImage(String java, Path jar, Path jvmOptions) {
    this.java = requireNonNull(java, "java");
    this.jar = requireNonNull(jar, "jar");
    this.jvmOptions = requireNonNull(jvmOptions, "jvmOptions");
  }

  Path jar() {
    return jar;
  }

  /** The process's command line, {@code $(VAR)}s expanded from {@code env}, mount paths not yet rewritten. */
  List<String> commandLine(Container c, Map<String, String> env) throws ContainerEnv.ConfigError {
    List<String> line = ContainerEnv.commandLine(c, List.of(java, "@" + jvmOptions, "-jar", jar.toString()), env);
    if (c.getCommand() != null && !c.getCommand().isEmpty()) {
      if (!Path.of(line.get(0)).getFileName().toString().equals("java")) {
        throw new ContainerEnv.ConfigError("command " + c.getCommand() + ": the kubelet stand-in runs the agent image"
            + " only through java");
      }
      line.set(0, java);
      line.replaceAll(arg -> arg.endsWith("/" + JAR_NAME) || arg.equals(JAR_NAME) ? jar.toString()
          : arg.startsWith("@") && (arg.endsWith("/" + OPTIONS_NAME) || arg.equals("@" + OPTIONS_NAME))
              ? "@" + jvmOptions : arg);
    }
    List<String> withOptions = new ArrayList<>(line);
    withOptions.addAll(1, memoryLimit(c));
    return withOptions;
  }

  private static List<String> memoryLimit(Container c) {
    if (c.getResources() == null || c.getResources().getLimits() == null) {
      return List.of();
    }
    Quantity memory = c.getResources().getLimits().get("memory");
    if (memory == null) {
      return List.of();
    }
    BigDecimal bytes = Quantity.getAmountInBytes(memory);
    return List.of("-XX:MaxRAM=" + bytes.toBigInteger());
  }
}

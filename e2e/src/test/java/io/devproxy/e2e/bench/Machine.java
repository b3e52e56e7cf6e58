package io.devproxy.e2e.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a bench report says about the machine it ran on, read from {@code /proc} and the JVM. */
final class Machine {

  private Machine() {}

  /** The 1, 5 and 15 minute load averages, e.g. {@code "0.52 0.61 0.70"}; {@code "unknown"} without /proc. */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The CPU model and the cores this JVM may use, e.g. {@code "2 cores (Intel(R) Xeon(R) ...)"}. */
  static String cores() {
    String model = "unknown CPU";
    try {
      model = Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8).stream()
          .filter(line -> line.startsWith("model name")).map(line -> line.substring(line.indexOf(':') + 1).strip())
          .findFirst().orElse(model);
    } catch (IOException e) {
      // reported as unknown
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + model + ")";
  }

  /** The JVM running the bench, e.g. {@code "OpenJDK 64-Bit Server VM 17.0.13+11-Debian-2"}. */
  static String jvm() {
    return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
  }
}

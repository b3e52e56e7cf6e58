package io.devproxy.cli;

import java.util.Map;

/**
 * Netty settings for a command that makes a call or two to the daemon and exits: they skip start-up work such a run
 * never profits from. {@link Main#main} sets them before Netty loads, for every command but {@code demo}, which serves
 * and measures traffic in this JVM.
 */
final class QuickStart {

  private QuickStart() {}

  /** Sets {@link #nettySettings()} as system properties, those not set already, unless {@code command} is demo. */
  static void apply(String command) {
    if (command.equals("demo")) {
      return;
    }
    nettySettings().forEach((key, value) -> {
      if (System.getProperty(key) == null) {
        System.setProperty(key, value);
      }
    });
  }

  static Map<String, String> nettySettings() {
    return Map.of(
        // No buffer pools (gRPC's own pooled allocator included): sized for servers, costly to set up.
        "io.netty.allocator.type", "unpooled",
        "io.grpc.netty.useCustomAllocator", "false",
        // Netty's channel ids would otherwise list the network interfaces for a MAC address.
        "io.netty.machineId", "02:00:00:00:00:01",
        "io.netty.processId", Long.toString(ProcessHandle.current().pid() & 0x7fffffff),
        // Skips the reflective swap of the selector's key set: one selector, a handful of events.
        "io.netty.noKeySetOptimization", "true",
        "io.netty.leakDetection.level", "disabled",
        // Empty: no reading /etc/os-release for the OS names of native libraries; the CLI loads none.
        "io.netty.osClassifiers", "",
        // No probing for JDK Flight Recorder, for buffer events nobody records in a CLI.
        "io.netty.jfr.enabled", "false");
  }
}

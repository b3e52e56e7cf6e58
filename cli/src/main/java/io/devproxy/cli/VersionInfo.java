package io.devproxy.cli;

import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.tunnel.AgentImage;
import io.devproxy.tunnel.errors.DevproxyException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code devproxy --version} prints: the CLI's version, the running daemon's (asked over its socket; a daemon is
 * never started for it), the traffic-agent image intercepts inject, and the Java running the CLI.
 */
final class VersionInfo {

  private VersionInfo() {}

  /**
   * The lines, one a string.
   *
   * @param connector finds the daemon; never starts one
   */
  static List<String> lines(DaemonConnector connector, String cliVersion) {
    List<String> lines = new ArrayList<>();
    lines.add("devproxy " + cliVersion);
    HomeDir home = connector.home();
    Optional<DaemonClient> running = connector.connectIfRunning();
    String agentImage = null;
    if (running.isEmpty()) {
      lines.add("daemon: not running (home " + home + ")");
    } else {
      try (DaemonClient daemon = running.get()) {
        StatusReply status = daemon.status();
        String mismatch = status.getVersion().equals(cliVersion) ? ""
            : "; not this CLI's version: 'devproxy quit' stops it, and the next command that needs it starts "
                + cliVersion;
        lines.add("daemon: " + status.getVersion() + " (pid " + status.getPid() + ", home " + home + ")" + mismatch);
        if (!status.getAgentImage().isEmpty()) {
          agentImage = status.getAgentImage() + " (the running daemon's)";
        }
      } catch (DevproxyException | DaemonUnreachableException e) {
        lines.add("daemon: not answering: " + e.getMessage());
      }
    }
    lines.add("agent image: " + (agentImage != null ? agentImage : configuredImage(home, cliVersion)));
    lines.add("java: " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
    return lines;
  }

  /** The image a daemon started now would inject: {@code config.properties}' agentImage, else the default. */
  private static String configuredImage(HomeDir home, String cliVersion) {
    Properties config = new Properties();
    try (Reader in = Files.newBufferedReader(home.configFile(), StandardCharsets.UTF_8)) {
      config.load(in);
    } catch (NoSuchFileException e) {
      return AgentImage.defaultFor(cliVersion) + " (the default)";
    } catch (IOException | IllegalArgumentException e) {
      return AgentImage.defaultFor(cliVersion) + " (the default; " + home.configFile() + " is unreadable: " + e + ")";
    }
    String image = config.getProperty("agentImage", "").strip();
    return image.isEmpty() ? AgentImage.defaultFor(cliVersion) + " (the default)"
        : image + " (agentImage in " + home.configFile() + ")";
  }
}

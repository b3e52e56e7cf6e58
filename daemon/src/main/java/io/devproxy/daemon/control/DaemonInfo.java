package io.devproxy.daemon.control;

import static java.util.Objects.requireNonNull;

/**
 * What {@code devproxy status} shows about the daemon itself.
 *
 * @param version the daemon's version ({@code dev} when not run from a released jar)
 * @param pid the daemon's process id
 * @param home the daemon's home directory
 * @param agentImage the traffic-agent image intercepts inject by default
 */
public record DaemonInfo(String version, long pid, String home, String agentImage) {
  public DaemonInfo {
    requireNonNull(version, "version");
    requireNonNull(home, "home");
    requireNonNull(agentImage, "agentImage");
  }
}

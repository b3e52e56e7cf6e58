package io.devproxy.daemon.control;

import static java.util.Objects.requireNonNull;

/**
 * What {@code devproxy status} shows about the daemon itself.
 *
 * @param version the daemon's version ({@code dev} when not run from a released jar)
 * @param pid the daemon's process id
 * @param home the daemon's home directory
 */
public record DaemonInfo(String version, long pid, String home) {
  public DaemonInfo {
    requireNonNull(version, "version");
    requireNonNull(home, "home");
  }
}

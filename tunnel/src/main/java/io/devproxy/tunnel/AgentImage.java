package io.devproxy.tunnel;

/**
 * The traffic-agent image a daemon injects unless its {@code config.properties} names another: one place for the
 * daemon, which injects it, and the CLI, whose {@code --version} names it when no daemon runs.
 */
public final class AgentImage {

  /** The repository of the default image; its tag is the daemon's version. */
  public static final String DEFAULT_REPOSITORY = "ghcr.io/devproxy/traffic-agent";

  private AgentImage() {}

  /** The default image of a daemon at {@code version}, e.g. {@code ghcr.io/devproxy/traffic-agent:0.1.0}. */
  public static String defaultFor(String version) {
    return DEFAULT_REPOSITORY + ":" + version;
  }
}

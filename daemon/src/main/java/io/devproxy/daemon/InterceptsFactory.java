package io.devproxy.daemon;

import io.devproxy.tunnel.errors.DevproxyException;
import io.netty.channel.EventLoopGroup;

/**
 * Creates the daemon's {@link Intercepts} engine. {@link DaemonMain} takes the first implementation that
 * {@link java.util.ServiceLoader} finds ({@code META-INF/services/io.devproxy.daemon.InterceptsFactory}), so
 * the control API compiles and ships without knowing the tunnel client.
 */
public interface InterceptsFactory {

  /**
   * Runs before the control socket opens, and a CLI that started the daemon waits at most 15 s for that
   * socket: return promptly, and resume saved intercepts in the background.
   *
   * @param home the daemon's home; its directories exist
   * @param group the daemon's event loops, owned and shut down by the daemon after the intercepts are
   *     closed; share it, do not shut it down
   */
  Intercepts create(DevproxyHome home, EventLoopGroup group) throws DevproxyException;
}

package io.devproxy.daemon.outbound;

import io.netty.channel.Channel;

/** A connection an agent made in the cluster, waiting for the local socket whose bytes it carries. */
public interface DialedConnection {

  /** The address the agent connected to, e.g. {@code 10.96.12.7:8080}. */
  String remoteAddress();

  /**
   * Relays bytes between {@code socket} and the remote end, both ways with backpressure, until both sides
   * are shut down or either fails; then closes the socket. Takes ownership of the socket, whose pipeline must
   * hold no handler that reads or writes application data, and whose auto-read must be off. Call once.
   *
   * <p>The outbound proxy and the forwards call it on the socket's event loop with an empty pipeline and
   * {@code ALLOW_HALF_CLOSURE} off (an implementation that relays half-closes turns it on). Right after it
   * returns they fire what the client sent before the dial completed (and, for an HTTP request, its rewritten
   * head) through the socket's pipeline as {@code channelRead}s: the relay handler must be installed by then.
   */
  void attach(Channel socket);

  /** Closes the remote connection without attaching (the local client went away first). */
  void abort();
}

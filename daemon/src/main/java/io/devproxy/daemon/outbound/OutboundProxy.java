package io.devproxy.daemon.outbound;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * The daemon's outbound proxy: one loopback port that speaks SOCKS5 and HTTP/1.1 proxying (CONNECT and
 * absolute-form requests), told apart by the client's first byte. Each connection's destination goes to the
 * {@link Dialer} unresolved (the cluster's DNS resolves it) and, once dialed, the connection is
 * {@linkplain DialedConnection#attach attached}. A failed dial is answered in the client's protocol: a SOCKS5
 * reply code (the reason is logged at INFO, SOCKS carries no text) or an HTTP error whose body is the reason.
 *
 * <p>Only the daemon's own user may use it ({@link OwnUserOnly}): another user's client gets SOCKS5's "no
 * acceptable authentication method" or an HTTP 403 that says why. A client that has not sent its complete request
 * within 10 s is closed. Connection handling runs on the
 * event loops of the group given to {@link #start}, which the caller owns and shuts down after {@link #close}.
 *
 * <p>Thread-safe.
 */
public final class OutboundProxy implements AutoCloseable {

  /** How long a client has to send its SOCKS5 greeting and request, or its HTTP request head. */
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger logger = Logger.getLogger(OutboundProxy.class.getName());

  private final Channel listener;
  private final ChannelGroup connections;
  private final InetSocketAddress address;

  private OutboundProxy(Channel listener, ChannelGroup connections) {
    this.listener = listener;
    this.connections = connections;
    this.address = (InetSocketAddress) listener.localAddress();
  }

  /**
   * Starts listening on {@code bind}. Blocks until bound: do not call on an event loop.
   *
   * @param bind a loopback address; port 0 picks a free port
   * @param group runs the listener and its connections; the caller owns it
   * @throws DevproxyException CONFIG when the address cannot be bound, e.g. the port is in use
   * @throws IllegalArgumentException when {@code bind} is not a loopback address
   */
  public static OutboundProxy start(InetSocketAddress bind, Dialer dialer, EventLoopGroup group)
      throws DevproxyException {
    return start(bind, dialer, group, HANDSHAKE_TIMEOUT);
  }

  static OutboundProxy start(InetSocketAddress bind, Dialer dialer, EventLoopGroup group, Duration handshakeTimeout)
      throws DevproxyException {
    requireNonNull(bind, "bind");
    requireNonNull(dialer, "dialer");
    requireNonNull(group, "group");
    if (bind.isUnresolved() || !bind.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("bind: " + bind + " (expected: a loopback address)");
    }
    ChannelGroup connections = new DefaultChannelGroup("outbound-proxy", GlobalEventExecutor.INSTANCE, true);
    Channel listener;
    try {
      // A deadline for the handshake, and the detector that installs the SOCKS5 or HTTP handlers.
      listener = LoopbackListeners.bind(group, bind, connections, pipeline -> pipeline.addLast(
          new HandshakeTimeoutHandler(handshakeTimeout),
          new ProxyProtocolDetector(dialer, OwnUserOnly.refusal(pipeline.channel()))));
    } catch (LoopbackListeners.BindFailure e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot listen for the outbound proxy on "
          + Addresses.target(bind.getAddress().getHostAddress(), bind.getPort()) + ": " + e.getMessage()
          + "; set outboundPort in config.properties to a free port, or 0", e);
    }
    OutboundProxy proxy = new OutboundProxy(listener, connections);
    logger.fine(() -> "outbound proxy listening on " + proxy.address);
    return proxy;
  }

  /** The address the proxy listens on, its port the one bound. */
  public InetSocketAddress address() {
    return address;
  }

  /** Connections open now, in any state: handshake, dial or relay. */
  int openConnections() {
    return connections.size();
  }

  /**
   * Stops listening and closes every connection, proxied ones included (their remote ends close with them);
   * dials still in flight are aborted when they complete. Idempotent; blocks until closed: do not call on an
   * event loop.
   */
  @Override
  public void close() {
    listener.close().awaitUninterruptibly();
    connections.close().awaitUninterruptibly();
  }
}

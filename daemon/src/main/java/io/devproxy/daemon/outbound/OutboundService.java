package io.devproxy.daemon.outbound;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.Outbound;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The daemon's outbound side: the proxy port (when it could be opened) and the {@code --forward} ports, all
 * dialing through one {@link Dialer}.
 *
 * <p>Thread-safe. Owns the proxy; each {@link LocalForwards} it opens belongs to the caller.
 */
public final class OutboundService implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(OutboundService.class.getName());

  private final Dialer dialer;
  private final EventLoopGroup group;
  private final OutboundProxy proxy;
  private final String error;

  private OutboundService(Dialer dialer, EventLoopGroup group, OutboundProxy proxy, String error) {
    this.dialer = dialer;
    this.group = group;
    this.proxy = proxy;
    this.error = error;
  }

  /**
   * Opens the proxy on loopback port {@code port} (0: any free port). When it cannot listen, the daemon runs
   * without it and {@link #describe()} says why: intercepts do not need it.
   */
  public static OutboundService start(int port, Dialer dialer, EventLoopGroup group) {
    requireNonNull(dialer, "dialer");
    requireNonNull(group, "group");
    try {
      OutboundProxy proxy = OutboundProxy.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), dialer,
          group);
      logger.info(() -> "outbound proxy (SOCKS5 and HTTP) on " + display(proxy.address()));
      return new OutboundService(dialer, group, proxy, "");
    } catch (DevproxyException e) {
      logger.warning(e.getMessage());
      return new OutboundService(dialer, group, null, e.getMessage());
    }
  }

  /** No outbound proxy: {@link #describe()} says {@code reason}; forwards still work. */
  public static OutboundService without(String reason, Dialer dialer, EventLoopGroup group) {
    return new OutboundService(requireNonNull(dialer, "dialer"), requireNonNull(group, "group"), null, reason);
  }

  /** The proxy's address and who dials, for {@code status}. */
  public Outbound describe() {
    Outbound.Builder outbound = Outbound.newBuilder().setVia(dialer.via()).setError(error);
    if (proxy != null) {
      outbound.setHost(proxy.address().getAddress().getHostAddress()).setPort(proxy.address().getPort());
    }
    return outbound.build();
  }

  /**
   * Opens {@code --forward} ports, all or none.
   *
   * @param specs {@code SERVICE:PORT[:LOCAL_PORT]} as typed
   * @throws DevproxyException USER for a malformed spec or a local port in use
   */
  public LocalForwards forward(List<String> specs) throws DevproxyException {
    return LocalForwards.open(parse(specs), dialer, group);
  }

  /**
   * Parses {@code --forward} specs.
   *
   * @throws DevproxyException USER naming the first malformed one
   */
  public static List<ForwardSpec> parse(List<String> specs) throws DevproxyException {
    List<ForwardSpec> parsed = new ArrayList<>();
    for (String spec : specs) {
      try {
        parsed.add(ForwardSpec.parse(spec));
      } catch (IllegalArgumentException e) {
        throw new DevproxyException(ErrorCategory.USER, e.getMessage());
      }
    }
    return parsed;
  }

  private static String display(InetSocketAddress address) {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  @Override
  public void close() {
    if (proxy != null) {
      proxy.close();
    }
  }
}

package io.devproxy.daemon.outbound;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The {@code --forward SERVICE:PORT[:LOCAL_PORT]} ports: one loopback listener per {@link ForwardSpec}, each
 * connection to it dialed on to the spec's service from the cluster and then
 * {@linkplain DialedConnection#attach attached}. When the dial fails the local connection closes and the reason
 * is logged at INFO. What the client sends while the dial runs is kept and delivered (see
 * {@link PendingDialHandler}).
 *
 * <p>Connections run on the event loops of the group given to {@link #open}, which the caller owns and shuts
 * down after {@link #close}. Thread-safe.
 */
public final class LocalForwards implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(LocalForwards.class.getName());

  private final List<ForwardInfo> infos;
  private final List<Channel> listeners;
  private final ChannelGroup connections;

  private LocalForwards(List<ForwardInfo> infos, List<Channel> listeners, ChannelGroup connections) {
    this.infos = List.copyOf(infos);
    this.listeners = List.copyOf(listeners);
    this.connections = connections;
  }

  /**
   * Listens on every spec's local port, all or nothing. Blocks until bound: do not call on an event loop.
   *
   * @param group runs the listeners and their connections; the caller owns it
   * @throws DevproxyException USER naming the spec when its local port cannot be bound (nothing stays open)
   */
  public static LocalForwards open(List<ForwardSpec> specs, Dialer dialer, EventLoopGroup group)
      throws DevproxyException {
    requireNonNull(specs, "specs");
    requireNonNull(dialer, "dialer");
    requireNonNull(group, "group");
    ChannelGroup connections = new DefaultChannelGroup("forwards", GlobalEventExecutor.INSTANCE, true);
    List<Channel> listeners = new ArrayList<>();
    List<ForwardInfo> infos = new ArrayList<>();
    for (ForwardSpec spec : specs) {
      Channel listener;
      try {
        listener = LoopbackListeners.bind(group, new InetSocketAddress(InetAddress.getLoopbackAddress(),
            spec.localPort()), connections, pipeline -> {
              if (OwnUserOnly.refusal(pipeline.channel()) != null) {
                pipeline.channel().close(); // another user's client: plain TCP has no way to say why
                return;
              }
              pipeline.addLast(
                  new PendingDialHandler(dialer, spec.host(), spec.port(), "--forward " + spec, null, null, null));
            });
      } catch (LoopbackListeners.BindFailure e) {
        listeners.forEach(l -> l.close().awaitUninterruptibly());
        connections.close().awaitUninterruptibly();
        throw new DevproxyException(ErrorCategory.USER, "--forward " + spec + ": "
            + (e.inUse() ? "local port " + spec.localPort() + " is in use"
                : "cannot listen on local port " + spec.localPort() + ": " + e.getMessage())
            + "; pick another LOCAL_PORT", e);
      }
      listeners.add(listener);
      int bound = ((InetSocketAddress) listener.localAddress()).getPort();
      infos.add(ForwardInfo.newBuilder().setHost(spec.host()).setPort(spec.port()).setLocalPort(bound).build());
      logger.fine(() -> "--forward " + spec + ": listening on " + listener.localAddress());
    }
    return new LocalForwards(infos, listeners, connections);
  }

  /** One per spec, in the order given: the service, its port and the local port bound. */
  public List<ForwardInfo> infos() {
    return infos;
  }

  /** Connections open now, dialing or relaying. */
  int openConnections() {
    return connections.size();
  }

  /**
   * Stops listening and closes every connection; dials still in flight are aborted when they complete.
   * Idempotent; blocks until closed: do not call on an event loop.
   */
  @Override
  public void close() {
    for (Channel listener : listeners) {
      listener.close().awaitUninterruptibly();
    }
    connections.close().awaitUninterruptibly();
  }
}

package io.devproxy.daemon.outbound;

import java.util.concurrent.CompletableFuture;

/**
 * Opens TCP connections from inside the cluster: an agent resolves the name with the cluster's DNS and
 * connects from its pod. What the outbound proxy and the {@code --forward} ports hand their connections to.
 *
 * <p>Implementations are thread-safe.
 */
public interface Dialer {

  /**
   * Dials {@code host:port} from the cluster.
   *
   * @return completes with the connected stream, or fails with a {@link DialException} saying what went wrong;
   *     never later than the dial timeout
   */
  CompletableFuture<DialedConnection> dial(String host, int port);

  /** Who dials, for {@code status}: e.g. {@code orders (namespace shop)}; empty when no agent can. */
  String via();
}

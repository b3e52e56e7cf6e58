package io.devproxy.tunnel.netty;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.CallStreamObserver;
import io.netty.channel.Channel;

/**
 * The inbound side of a gRPC stream relayed to a Netty channel: keeps up to {@link #SIZE} messages requested
 * while the channel is writable, asking in batches of at least half the window. One message at a time would make
 * every message wait for a hop between the gRPC transport's thread and the channel's; the channel's own
 * high-water mark still bounds what it holds. When the channel is not writable, asking waits for {@link
 * #onWritable()}.
 *
 * <p>Confined to the channel's event loop.
 */
public final class RequestWindow {

  /** At most this many messages are requested ahead of the channel. */
  public static final int SIZE = 16;

  private final Channel channel;
  private final CallStreamObserver<?> call;
  /** Messages asked of the stream and not yet received. */
  private int requested;
  private boolean pending;

  public RequestWindow(Channel channel, CallStreamObserver<?> call) {
    this.channel = requireNonNull(channel, "channel");
    this.call = requireNonNull(call, "call");
  }

  /** A requested message arrived. */
  public void received() {
    requested = Math.max(0, requested - 1);
  }

  /** Tops the window up, now if the channel is writable, else once it is. */
  public void fill() {
    if (!channel.isWritable()) {
      pending = true;
      return;
    }
    int wanted = SIZE - requested;
    if (wanted >= SIZE / 2) {
      requested += wanted;
      call.request(wanted);
    }
  }

  /** The channel may have become writable: tops the window up if a fill waited for it. */
  public void onWritable() {
    if (pending && channel.isWritable()) {
      pending = false;
      fill();
    }
  }
}

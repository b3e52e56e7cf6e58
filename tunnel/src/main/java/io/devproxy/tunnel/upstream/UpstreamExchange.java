package io.devproxy.tunnel.upstream;

import io.devproxy.tunnel.netty.ChannelEvents;
import io.devproxy.tunnel.netty.ChannelEventsHandler;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * One exchange's hold on an upstream channel: an HTTP/1.1 keep-alive connection taken from the pool, or a new
 * HTTP/2 stream. The channel carries {@link HttpObject}s and has AUTO_READ off. Event loop confined.
 */
public final class UpstreamExchange {

  interface Releaser {
    void release(UpstreamExchange exchange, boolean reusable);
  }

  private final Channel channel;
  private final boolean http2;
  private final Releaser releaser;
  private boolean keepAlive = true;
  private boolean released;

  UpstreamExchange(Channel channel, boolean http2, Releaser releaser) {
    this.channel = channel;
    this.http2 = http2;
    this.releaser = releaser;
  }

  public Channel channel() {
    return channel;
  }

  public boolean http2() {
    return http2;
  }

  /** Sends the channel's events to {@code owner} until {@link #release}. Event loop only. */
  public void owner(ChannelEvents owner) {
    channel.pipeline().get(ChannelEventsHandler.class).owner(new ChannelEvents() {
      @Override
      public void onChannelRead(HttpObject msg) {
        if (msg instanceof HttpResponse response && !HttpUtil.isKeepAlive(response)) {
          keepAlive = false;
        }
        owner.onChannelRead(msg);
      }

      @Override
      public void onChannelWritable() {
        owner.onChannelWritable();
      }

      @Override
      public void onChannelReset(long http2ErrorCode) {
        owner.onChannelReset(http2ErrorCode);
      }
    });
  }

  /**
   * Gives the channel back: an HTTP/1.1 connection returns to the pool when {@code clean} and the server
   * allowed keep-alive, else it is closed; an HTTP/2 stream is closed if still open. Idempotent.
   */
  public void release(boolean clean) {
    if (released) {
      return;
    }
    released = true;
    ChannelEventsHandler handler = channel.pipeline().get(ChannelEventsHandler.class);
    if (handler != null) {
      handler.owner(null);
    }
    releaser.release(this, clean && keepAlive);
  }
}

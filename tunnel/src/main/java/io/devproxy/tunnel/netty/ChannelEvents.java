package io.devproxy.tunnel.netty;

import io.netty.handler.codec.http.HttpObject;

/**
 * What one exchange needs to hear from the channel it runs on. Lets a long-lived connection (a keep-alive
 * HTTP/1.1 connection) hand its events to whichever exchange currently owns it.
 */
public interface ChannelEvents {

  /** A message read from the channel. The callee owns and releases it. */
  void onChannelRead(HttpObject msg);

  /** The channel became writable again. */
  void onChannelWritable();

  /** The channel closed, or its HTTP/2 stream was reset with {@code http2ErrorCode}. */
  void onChannelReset(long http2ErrorCode);
}

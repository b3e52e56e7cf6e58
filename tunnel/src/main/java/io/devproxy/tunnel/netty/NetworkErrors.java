package io.devproxy.tunnel.netty;

import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/** Classifies network failures: resets and broken pipes are expected noise, logged at debug. */
public final class NetworkErrors {

  private NetworkErrors() {}

  public static boolean isExpected(Throwable t) {
    for (Throwable cause = t; cause != null; cause = cause.getCause()) {
      if (cause instanceof ClosedChannelException) {
        return true;
      }
      if (cause instanceof Http2Exception.StreamException) {
        return true;
      }
      if (cause instanceof SocketException || cause instanceof IOException) {
        String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("reset") || message.contains("broken pipe") || message.contains("closed")) {
          return true;
        }
      }
    }
    return false;
  }
}

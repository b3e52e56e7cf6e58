package io.devproxy.tunnel.upstream;

/** The upstream server does not speak the protocol devproxy tried (h2c probe). */
public final class UpstreamProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  public UpstreamProtocolException(String message) {
    super(message, null, false, false);
  }
}

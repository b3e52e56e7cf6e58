package io.devproxy.tunnel.upstream;

import java.util.Locale;

/** How to speak to an upstream server (the app in the pod, or the developer's local service). */
public enum UpstreamProtocol {
  /** HTTP/1.1 callers get HTTP/1.1; HTTP/2 callers get h2c when the server speaks it (probed once). */
  AUTO,
  /** Always HTTP/1.1; HTTP/2 callers' streams are translated. */
  HTTP1,
  /** Always h2c with prior knowledge; HTTP/1.1 callers' requests are translated. */
  H2C;

  /** Parses {@code auto}, {@code http1} or {@code h2c}; the message names the accepted values. */
  public static UpstreamProtocol parse(String value) {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "auto":
        return AUTO;
      case "http1":
      case "http/1.1":
        return HTTP1;
      case "h2c":
      case "h2":
        return H2C;
      default:
        throw new IllegalArgumentException("'" + value + "' (expected: auto, http1 or h2c)");
    }
  }

  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}

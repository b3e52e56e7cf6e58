package io.devproxy.tunnel.netty;

import io.netty.handler.flush.FlushConsolidationHandler;

/** How devproxy's relays get their writes to the socket. */
public final class Flushes {

  private Flushes() {}

  /**
   * First in the pipeline of a connection a relay writes to: the relays flush every message they write, and this
   * writes the socket once per read of the connection, or once per event-loop turn when the write came from
   * another connection, instead of once per message (a response's head and body leave in one segment, not two).
   */
  public static FlushConsolidationHandler consolidated() {
    return new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
  }
}

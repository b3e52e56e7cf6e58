package io.devproxy.daemon;

import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import java.util.List;

/**
 * The daemon's intercept engine: what the control API drives. Implementations are thread-safe; the control
 * server calls them from gRPC executor threads, possibly concurrently.
 *
 * <p>The daemon owns the instance and closes it first on shutdown, before the control server stops, so
 * that {@link #close()} can restore everything the intercepts changed while a CLI waiting on {@code quit}
 * still sees the daemon alive.
 */
public interface Intercepts extends AutoCloseable {

  /**
   * Starts (or updates) the intercept {@code request.getName()}.
   *
   * @return the intercept as it stands when the call returns
   * @throws DevproxyException with the category the CLI's exit code comes from
   */
  InterceptInfo intercept(InterceptRequest request) throws DevproxyException;

  /**
   * Ends the intercept {@code name} and restores what it changed.
   *
   * @throws DevproxyException USER when there is no such intercept
   */
  void leave(String name) throws DevproxyException;

  /** A snapshot of the current intercepts, in a stable order. */
  List<InterceptInfo> list();

  /** Leaves every intercept. Idempotent; calls after it fail or return nothing. */
  @Override
  void close();
}

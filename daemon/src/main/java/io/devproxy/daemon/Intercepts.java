package io.devproxy.daemon;

import io.devproxy.daemon.outbound.DialException;
import io.devproxy.daemon.outbound.DialedConnection;
import io.devproxy.daemon.outbound.Dialer;
import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The daemon's intercept engine: what the control API drives. Implementations are thread-safe; the control
 * server calls them from gRPC executor threads, possibly concurrently.
 *
 * <p>The daemon owns the instance and closes it first on shutdown, before the control server stops, so
 * that {@link #close()} can restore everything the intercepts changed while a CLI waiting on {@code quit}
 * still sees the daemon alive.
 */
public interface Intercepts extends Dialer, AutoCloseable {

  /** Without agents, nothing can be dialed. */
  @Override
  default CompletableFuture<DialedConnection> dial(String host, int port) {
    return CompletableFuture.failedFuture(new DialException(DialException.Kind.NO_AGENT,
        "devproxy: this daemon cannot dial out: it has no agents"));
  }

  @Override
  default String via() {
    return "";
  }

  /** {@link #intercept(InterceptRequest, Consumer)} without progress. */
  default InterceptInfo intercept(InterceptRequest request) throws DevproxyException {
    return intercept(request, line -> {});
  }

  /**
   * Starts (or updates) the intercept {@code request.getName()}, reporting what it does on the way.
   * Interrupting the calling thread abandons the intercept and undoes what it changed.
   *
   * @param progress receives one line at a time for the user's terminal, on the calling thread
   * @return the intercept as it stands when the call returns
   * @throws DevproxyException with the category the CLI's exit code comes from
   */
  InterceptInfo intercept(InterceptRequest request, Consumer<String> progress) throws DevproxyException;

  /**
   * Removes devproxy from a namespace: the agent of one Service, or everything devproxy created or changed,
   * leaving the local intercepts on what it removes.
   *
   * @throws DevproxyException CONFIG when this engine has no cluster access
   */
  default UninstallReply uninstall(UninstallRequest request) throws DevproxyException {
    throw new DevproxyException(ErrorCategory.CONFIG, "this daemon has no Kubernetes support; use a full devproxy build");
  }

  /**
   * Creates a preview URL for the intercept {@code request.getName()}.
   *
   * @throws DevproxyException USER when there is no such intercept or it has no cluster side
   */
  default Preview createPreview(CreatePreviewRequest request) throws DevproxyException {
    throw new DevproxyException(ErrorCategory.CONFIG, "this daemon has no Kubernetes support; use a full devproxy build");
  }

  /**
   * Deletes the previews of the intercept {@code name}: the one for {@code host}, or all when it is empty.
   *
   * @return the hosts whose previews were deleted
   */
  default List<String> deletePreviews(String name, String host) throws DevproxyException {
    throw new DevproxyException(ErrorCategory.CONFIG, "this daemon has no Kubernetes support; use a full devproxy build");
  }

  /**
   * The environment of the container intercept {@code name} took over.
   *
   * @throws DevproxyException USER when there is no such intercept or it has no cluster side
   */
  default GetEnvReply getEnv(String name) throws DevproxyException {
    throw new DevproxyException(ErrorCategory.CONFIG, "this daemon has no Kubernetes support; use a full devproxy build");
  }

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

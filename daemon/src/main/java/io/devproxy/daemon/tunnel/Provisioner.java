package io.devproxy.daemon.tunnel;

import io.devproxy.proto.daemon.ClusterBinding;
import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Prepares a cluster for intercepts that name no agent address: puts the agent in, waits for it, and finds
 * its pods; undoes all of it on leave. {@link TunnelIntercepts} keeps the tunnels, this keeps the cluster.
 *
 * <p>Thread-safe.
 */
public interface Provisioner extends AutoCloseable {

  /** What one intercept changed in the cluster, and how to reach its agents. */
  interface Provisioned {
    /** What to save so that a restarted daemon can {@link #resume} and undo it. */
    ClusterBinding binding();

    /** The agent pods, behind port-forwards. Each call returns a new source the caller closes. */
    AgentSource agents();

    /** Adds where the intercept is (namespace, workload, mode) to what status shows. */
    void describe(InterceptInfo.Builder info);

    /**
     * Creates a preview URL for the intercept, or returns the one it has for that host.
     *
     * @throws DevproxyException USER for a malformed host or when no domain is known; CLUSTER when the cluster
     *     has no Ambassador or refuses a call
     */
    Preview createPreview(CreatePreviewRequest request) throws DevproxyException;

    /**
     * Deletes the intercept's preview for {@code host}, or all of them when it is empty.
     *
     * @return the hosts whose previews were deleted
     * @throws DevproxyException USER when the intercept has no preview for {@code host}
     */
    List<String> deletePreviews(String host) throws DevproxyException;

    /**
     * The intercepted container's environment, resolved as the kubelet would, from the workload as the user wrote
     * it and one of its running pods.
     *
     * @throws DevproxyException CLUSTER when the workload is gone or the API refuses
     */
    GetEnvReply env() throws DevproxyException;

    /** Undoes what the intercept changed in the cluster. Idempotent. */
    void release() throws DevproxyException;
  }

  /**
   * Puts the agent in for {@code request} and waits until its pods are ready. Undoes what it changed before
   * it throws, also when interrupted.
   *
   * @param progress one line at a time for the user's terminal
   * @throws InterruptedException after undoing what it changed
   */
  Provisioned provision(InterceptRequest request, String sessionId, String owner, Consumer<String> progress)
      throws DevproxyException, InterruptedException;

  /** Takes over what an earlier daemon provisioned (saved as {@code binding}) without changing the cluster. */
  Provisioned resume(InterceptRequest request, String sessionId, String owner, ClusterBinding binding)
      throws DevproxyException;

  /** The namespace {@code kube} selects (-n, else the context's, else {@code default}). */
  String namespace(io.devproxy.proto.daemon.KubeOptions kube) throws DevproxyException;

  /** Removes devproxy from a namespace (one Service's agent, or everything). */
  UninstallReply uninstall(UninstallRequest request) throws DevproxyException;

  /** Stops renewing Leases and closes the clients; does not undo anything. */
  @Override
  void close();
}

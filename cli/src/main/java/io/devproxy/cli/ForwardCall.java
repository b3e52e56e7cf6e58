package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.proto.daemon.ForwardReply;
import io.devproxy.proto.daemon.ForwardRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * An open {@code Forward} call ({@code run --forward}): the daemon keeps the local ports listening while it lasts and
 * closes them when it ends. {@link #close()} cancels it; closing is idempotent and thread-safe, and the daemon's
 * answer to a closed call is ignored.
 */
public final class ForwardCall implements AutoCloseable {

  private final Replies replies;

  ForwardCall(Replies replies) {
    this.replies = replies;
  }

  /** The ports, as the daemon's first reply listed them. */
  public List<ForwardInfo> forwards() {
    return replies.opened.join();
  }

  /** Cancels the call: the daemon closes the ports. */
  @Override
  public void close() {
    if (replies.closed.compareAndSet(false, true) && replies.call != null) {
      replies.call.cancel("the command exited", null);
    }
  }

  /**
   * Receives the call's replies on a gRPC thread: {@link #opened} completes with the first reply's ports, or fails with
   * the call's error (a {@code StatusRuntimeException}) or, when the daemon ends the call without a reply, an
   * {@link IllegalStateException}. Replies after the first are updates the CLI does not show; an end after the first
   * reply, unless the CLI closed the call, goes to {@code endedByDaemon} (null when the daemon completed the call).
   */
  static final class Replies implements ClientResponseObserver<ForwardRequest, ForwardReply> {

    final CompletableFuture<List<ForwardInfo>> opened = new CompletableFuture<>();
    final AtomicBoolean closed = new AtomicBoolean();
    private final Consumer<Throwable> endedByDaemon;
    private volatile ClientCallStreamObserver<ForwardRequest> call;

    Replies(Consumer<Throwable> endedByDaemon) {
      this.endedByDaemon = requireNonNull(endedByDaemon, "endedByDaemon");
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ForwardRequest> requestStream) {
      call = requestStream;
    }

    /** Cancels a call that never opened (timeout, interrupt). */
    void cancel() {
      closed.set(true);
      if (call != null) {
        call.cancel("gave up waiting for the ports", null);
      }
    }

    @Override
    public void onNext(ForwardReply reply) {
      opened.complete(List.copyOf(reply.getForwardsList()));
    }

    @Override
    public void onError(Throwable t) {
      if (!opened.completeExceptionally(t) && !closed.get()) {
        endedByDaemon.accept(t);
      }
    }

    @Override
    public void onCompleted() {
      if (!opened.completeExceptionally(new IllegalStateException("the daemon ended the call without the ports"))
          && !closed.get()) {
        endedByDaemon.accept(null);
      }
    }
  }
}

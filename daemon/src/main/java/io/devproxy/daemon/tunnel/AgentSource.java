package io.devproxy.daemon.tunnel;

import io.devproxy.tunnel.errors.DevproxyException;
import java.net.InetSocketAddress;

/**
 * Where an intercept's agents are: one fixed address ({@code --agent-address}), or the agent pods of a
 * workload, each behind its own port-forward, coming and going with rollouts and scaling.
 *
 * <p>Implementations call the listener from one thread at a time, never while holding a lock the listener
 * could need.
 */
public interface AgentSource extends AutoCloseable {

  /** Receives the agents as they come and go. */
  interface Listener {
    /** An agent to register the session on, reachable at {@code address} from this machine. */
    void added(String agent, InetSocketAddress address);

    /** The agent {@code agent} is gone (its pod was deleted or is no longer ready). */
    void removed(String agent);
  }

  /** Starts reporting agents; the ones known now may be reported before this returns. */
  void start(Listener listener) throws DevproxyException;

  /** Stops reporting and closes whatever reaches the agents (port-forwards). Idempotent. */
  @Override
  void close();

  /** One agent at a fixed address, reported at once and never removed. */
  static AgentSource fixed(String address, InetSocketAddress socketAddress) {
    return new AgentSource() {
      @Override
      public void start(Listener listener) {
        listener.added(address, socketAddress);
      }

      @Override
      public void close() {}
    };
  }
}

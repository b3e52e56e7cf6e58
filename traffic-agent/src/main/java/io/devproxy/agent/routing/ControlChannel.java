package io.devproxy.agent.routing;

/** The control stream that holds a session: the registry ends it when its daemon falls silent. */
public interface ControlChannel {

  /** Ends the stream with {@code reason}; a live daemon reconnects and resumes its sessions. */
  void abort(String reason);
}

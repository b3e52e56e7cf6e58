package io.devproxy.agent.tunnel;

import io.devproxy.agent.routing.Session;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The daemons (by client id) that have offered streams or registered sessions. Thread-safe. */
public final class ClientDirectory {

  private final ConcurrentMap<String, ClientStreams> clients = new ConcurrentHashMap<>();

  public ClientStreams streamsOf(String clientId) {
    return clients.computeIfAbsent(clientId, ClientStreams::new);
  }

  /** A dropped session's waiting exchanges fall back, whichever client they waited on. */
  public void sessionDropped(Session session) {
    for (ClientStreams streams : clients.values()) {
      streams.sessionDropped(session);
    }
  }

  public Collection<ClientStreams> all() {
    return clients.values();
  }
}

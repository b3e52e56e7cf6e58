package io.devproxy.agent.tunnel;

import io.devproxy.agent.routing.ControlChannel;
import io.devproxy.agent.routing.Session;
import io.devproxy.agent.routing.SessionRegistry;
import io.devproxy.proto.tunnel.AgentMessage;
import io.devproxy.proto.tunnel.ControlMessage;
import io.devproxy.proto.tunnel.Demand;
import io.devproxy.proto.tunnel.DialFrame;
import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Heartbeat;
import io.devproxy.proto.tunnel.Registered;
import io.devproxy.proto.tunnel.Rejected;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The agent's side of the tunnel service: control streams (sessions) and exchange streams (the pool). */
public final class TunnelService extends TunnelGrpc.TunnelImplBase {

  private static final Logger logger = Logger.getLogger(TunnelService.class.getName());

  private final SessionRegistry sessions;
  private final ClientDirectory clients;
  private final String agentVersion;
  private final OutboundDials dials;

  public TunnelService(SessionRegistry sessions, ClientDirectory clients, String agentVersion, OutboundDials dials) {
    this.sessions = sessions;
    this.clients = clients;
    this.agentVersion = agentVersion;
    this.dials = dials;
  }

  @Override
  public StreamObserver<DialFrame> dial(StreamObserver<DialFrame> responses) {
    return new DialStream((ServerCallStreamObserver<DialFrame>) responses, dials);
  }

  @Override
  public StreamObserver<ExchangeFrame> exchange(StreamObserver<ExchangeFrame> responses) {
    return new TunnelStream((ServerCallStreamObserver<ExchangeFrame>) responses, clients);
  }

  @Override
  public StreamObserver<ControlMessage> control(StreamObserver<AgentMessage> responses) {
    return new ControlStream((ServerCallStreamObserver<AgentMessage>) responses);
  }

  /** One control stream: the sessions it registered live while it does (plus grace). */
  private final class ControlStream implements StreamObserver<ControlMessage>, ControlChannel {
    private final ServerCallStreamObserver<AgentMessage> out;
    private final Set<String> sessionIds = new HashSet<>();
    private boolean closed;

    ControlStream(ServerCallStreamObserver<AgentMessage> out) {
      this.out = out;
    }

    /** Serializes writes: gRPC threads and demand callers (event loops) both send. */
    private synchronized void send(AgentMessage message) {
      if (closed || out.isCancelled()) {
        return;
      }
      try {
        out.onNext(message);
      } catch (RuntimeException e) {
        logger.log(Level.FINE, "control stream write failed", e);
      }
    }

    @Override
    public void onNext(ControlMessage message) {
      switch (message.getKindCase()) {
        case REGISTER -> {
          var register = message.getRegister();
          SessionRegistry.Registration registration = sessions.register(register, this);
          if (registration.rejection() != null) {
            send(AgentMessage.newBuilder().setRejected(Rejected.newBuilder()
                .setSessionId(register.getSessionId()).setReason(registration.rejection())).build());
            return;
          }
          synchronized (this) {
            sessionIds.add(register.getSessionId());
          }
          clients.streamsOf(register.getClientId()).demandSink(n -> send(AgentMessage.newBuilder()
              .setDemand(Demand.newBuilder().setStreams(n)).build()));
          send(AgentMessage.newBuilder().setRegistered(Registered.newBuilder()
              .setSessionId(register.getSessionId())
              .setResumed(registration.resumed())
              .setAgentVersion(agentVersion)).build());
        }
        case HEARTBEAT -> {
          Set<String> ids;
          synchronized (this) {
            ids = Set.copyOf(sessionIds);
          }
          for (Session session : sessions.sessions()) {
            if (ids.contains(session.id())) {
              session.heartbeat();
            }
          }
          send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
              .setUnixMillis(message.getHeartbeat().getUnixMillis())).build());
        }
        case UNREGISTER -> {
          String id = message.getUnregister().getSessionId();
          synchronized (this) {
            sessionIds.remove(id);
          }
          sessions.unregister(id);
        }
        default -> logger.fine(() -> "ignoring control message " + message.getKindCase());
      }
    }

    @Override
    public void abort(String reason) {
      synchronized (this) {
        try {
          out.onError(io.grpc.Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
        } catch (RuntimeException e) {
          logger.log(Level.FINE, "control stream already closed", e);
        }
      }
      ended();
    }

    @Override
    public void onError(Throwable t) {
      ended();
    }

    @Override
    public void onCompleted() {
      ended();
      synchronized (this) {
        try {
          out.onCompleted();
        } catch (RuntimeException ignored) {
          // already cancelled
        }
      }
    }

    private void ended() {
      Set<String> ids;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        ids = Set.copyOf(sessionIds);
      }
      for (String id : ids) {
        sessions.disconnected(id, this);
      }
    }
  }
}

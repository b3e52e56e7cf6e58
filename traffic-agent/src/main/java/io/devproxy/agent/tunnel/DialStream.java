package io.devproxy.agent.tunnel;

import io.devproxy.agent.admin.AgentMetrics.DialResult;
import io.devproxy.proto.tunnel.DialFrame;
import io.devproxy.proto.tunnel.DialRequest;
import io.devproxy.proto.tunnel.Dialed;
import io.devproxy.tunnel.dial.DialRelay;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * One Dial stream opened by a daemon: reads its {@link DialRequest}, resolves and connects from this pod, answers
 * {@link Dialed} and relays the connection's bytes; or ends the call with a status that says what failed (the
 * daemon shows it to the developer).
 *
 * <p>gRPC calls the {@link StreamObserver} methods serially; the dial completes on other threads, hence the lock.
 */
final class DialStream implements StreamObserver<DialFrame> {

  private static final Logger logger = Logger.getLogger(DialStream.class.getName());

  private final ServerCallStreamObserver<DialFrame> call;
  private final OutboundDials dials;
  private DialRelay relay;
  private Channel channel;
  private boolean requested;
  private boolean ended;

  DialStream(ServerCallStreamObserver<DialFrame> call, OutboundDials dials) {
    this.call = call;
    this.dials = dials;
    call.disableAutoRequest();
    call.setOnReadyHandler(() -> {
      DialRelay current = relay();
      if (current != null) {
        current.onCallReady();
      }
    });
    call.setOnCancelHandler(() -> onError(Status.CANCELLED.asRuntimeException()));
    call.request(1); // the DialRequest
  }

  private synchronized DialRelay relay() {
    return relay;
  }

  @Override
  public void onNext(DialFrame frame) {
    DialRelay current = relay();
    if (current != null) {
      current.onFrame(frame);
      return;
    }
    synchronized (this) {
      if (requested || !frame.hasRequest()) {
        fail(Status.INVALID_ARGUMENT, DialResult.INVALID, "expected one DialRequest first, got " + frame.getKindCase());
        return;
      }
      requested = true;
    }
    dial(frame.getRequest());
  }

  private void dial(DialRequest request) {
    String host = request.getHost();
    int port = request.getPort();
    if (host.isEmpty() || port < 1 || port > 65535) {
      fail(Status.INVALID_ARGUMENT, DialResult.INVALID, "cannot dial '" + host + ":" + port
          + "': expected a host and a port 1-65535");
      return;
    }
    Duration timeout = request.getConnectTimeoutMillis() == 0
        ? OutboundDials.DEFAULT_CONNECT_TIMEOUT : Duration.ofMillis(request.getConnectTimeoutMillis());
    dials.resolve(host).whenComplete((address, error) -> {
      if (error != null) {
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        if (cause instanceof RejectedExecutionException) {
          fail(Status.RESOURCE_EXHAUSTED, DialResult.FAILED, "too many name lookups at once in the agent; retry");
        } else {
          fail(Status.NOT_FOUND, DialResult.UNRESOLVED, "cannot resolve " + host + " in the cluster: "
              + describe(cause, host));
        }
        return;
      }
      connect(host, new InetSocketAddress(address, port), timeout);
    });
  }

  private void connect(String host, InetSocketAddress address, Duration timeout) {
    String target = host + " (" + display(address) + ")";
    ChannelFuture connect = dials.connect(address, timeout);
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        Throwable cause = f.cause();
        if (cause instanceof ConnectTimeoutException) {
          fail(Status.DEADLINE_EXCEEDED, DialResult.TIMEOUT, "no answer from " + target + " within "
              + timeout.toMillis() + " ms");
        } else if (cause instanceof ConnectException || cause instanceof NoRouteToHostException) {
          fail(Status.UNAVAILABLE, DialResult.REFUSED, "cannot connect to " + target + ": "
              + describe(cause, ""));
        } else {
          fail(Status.UNAVAILABLE, DialResult.FAILED, "cannot connect to " + target + ": " + describe(cause, ""));
        }
        return;
      }
      Channel connected = connect.channel();
      DialRelay created = new DialRelay(connected, call, DialRelay.Side.AGENT);
      boolean cancelled;
      synchronized (this) {
        cancelled = ended;
        channel = connected;
        relay = created;
      }
      if (cancelled) {
        connected.close();
        return;
      }
      dials.metrics().dial(DialResult.CONNECTED);
      connected.closeFuture().addListener(c -> dials.metrics().dialClosed());
      logger.fine(() -> "dialed " + target + " for a daemon");
      connected.eventLoop().execute(() -> {
        call.onNext(DialFrame.newBuilder()
            .setDialed(Dialed.newBuilder().setRemoteAddress(display(address))).build());
        created.start();
      });
    });
  }

  private static String display(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    String host = ip == null ? address.getHostString() : ip.getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** The JDK's message, without a repeat of the host it names. */
  private static String describe(Throwable cause, String host) {
    String message = String.valueOf(cause.getMessage());
    if (!host.isEmpty() && message.startsWith(host + ": ")) {
      message = message.substring(host.length() + 2);
    }
    return message;
  }

  private void fail(Status status, DialResult result, String message) {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
    }
    dials.metrics().dial(result);
    logger.fine(() -> "dial failed: " + message);
    try {
      call.onError(status.withDescription(message).asRuntimeException());
    } catch (RuntimeException e) {
      logger.fine(() -> "dial stream already closed: " + e);
    }
  }

  @Override
  public void onError(Throwable t) {
    DialRelay current;
    Channel open;
    synchronized (this) {
      ended = true;
      current = relay;
      open = channel;
    }
    if (current != null) {
      current.onCallError(t);
    } else if (open != null) {
      open.close();
    }
  }

  @Override
  public void onCompleted() {
    // The daemon's half-close follows its End frame, which the relay has already seen.
  }
}

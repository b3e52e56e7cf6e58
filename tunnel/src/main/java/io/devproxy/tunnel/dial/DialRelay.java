package io.devproxy.tunnel.dial;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.devproxy.proto.tunnel.DialFrame;
import io.devproxy.proto.tunnel.End;
import io.devproxy.tunnel.netty.NetworkErrors;
import io.devproxy.tunnel.netty.RequestWindow;
import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.ClientCallStreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Relays the bytes of one TCP connection through a tunnel {@code Dial} stream, both directions, used at both
 * ends: in the agent the channel is the connection it dialed in the cluster, in the daemon it is the local
 * client's (a proxy or {@code --forward} connection).
 *
 * <p>A TCP half-close travels as an {@link End} frame and becomes a half-close on the other side, so protocols
 * that shut down their sending side and go on reading work. The agent completes the call once both directions
 * have ended; anything abrupt (a reset, a failed call, a closed channel before its end was seen) closes the
 * channel and cancels the call.
 *
 * <p>Flow control is end to end: the channel is read (AUTO_READ off) only while the gRPC stream {@linkplain
 * CallStreamObserver#isReady() is ready}, and frames are {@linkplain CallStreamObserver#request(int) requested}
 * only while the channel is writable, at most a {@link RequestWindow} ahead.
 *
 * <p>Threading: the handler's own methods run on the channel's event loop; the stream's events ({@link
 * #onFrame}, {@link #onCallReady}, {@link #onCallError}, {@link #onCallCompleted}) may come from any thread and
 * are moved there, so the gRPC stream is only written from the event loop.
 */
public final class DialRelay extends ChannelInboundHandlerAdapter {

  private static final Logger logger = Logger.getLogger(DialRelay.class.getName());

  /** Which end of the tunnel this relay runs on. */
  public enum Side {
    /** In the agent: the gRPC server of the stream, which completes the call. */
    AGENT,
    /** In the daemon: the gRPC client of the stream, which half-closes after its End. */
    DAEMON
  }

  private final Channel channel;
  private final CallStreamObserver<DialFrame> call;
  private final Side side;
  private final RequestWindow window;

  // Confined to channel.eventLoop().
  private boolean started;
  private boolean sentEnd;
  private boolean wroteEnd;
  private boolean done;

  /**
   * @param channel the TCP connection; its AUTO_READ must be off and nothing else in its pipeline may read
   *     application data
   * @param call the Dial stream, past its first frames, with automatic inbound flow control disabled
   */
  public DialRelay(Channel channel, CallStreamObserver<DialFrame> call, Side side) {
    this.channel = requireNonNull(channel, "channel");
    this.call = requireNonNull(call, "call");
    this.side = requireNonNull(side, "side");
    this.window = new RequestWindow(channel, call);
  }

  /**
   * Adds this relay to the end of the channel's pipeline and starts relaying. Bytes the pipeline fires after
   * this (for example a client's pipelined bytes a proxy held back) go to the stream like any other.
   */
  public void start() {
    runOnLoop(() -> {
      if (started) {
        return;
      }
      started = true;
      channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      channel.pipeline().addLast("devproxy-dial-relay", this);
      if (!channel.isActive()) {
        abort("the connection closed before the relay started");
        return;
      }
      requestFrames();
      readIfReady();
    });
  }

  // ---- channel → stream ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (done || sentEnd || !(msg instanceof ByteBuf buf) || !buf.isReadable()) {
        return;
      }
      call.onNext(DialFrame.newBuilder().setData(ByteString.copyFrom(buf.nioBuffer())).build());
    } finally {
      ReferenceCountUtil.release(msg);
    }
    readIfReady();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputEnded();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!done) {
      if (sentEnd && wroteEnd) {
        finish();
      } else {
        abort("the connection closed");
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (NetworkErrors.isExpected(cause)) {
      logger.log(Level.FINE, "dialed connection " + ctx.channel() + " failed", cause);
    } else {
      logger.log(Level.WARNING, "unexpected error on dialed connection " + ctx.channel() + ": " + cause);
    }
    abort("connection error: " + cause.getMessage());
  }

  private void inputEnded() {
    if (done || sentEnd) {
      return;
    }
    sentEnd = true;
    call.onNext(DialFrame.newBuilder().setEnd(End.getDefaultInstance()).build());
    if (side == Side.DAEMON) {
      call.onCompleted(); // half-close: the agent completes the call when its side has ended too
    }
    maybeDone();
  }

  private void readIfReady() {
    if (!done && !sentEnd && call.isReady()) {
      channel.read();
    }
  }

  /** The stream can take more frames. Any thread. */
  public void onCallReady() {
    runOnLoop(this::readIfReady);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (!done && !wroteEnd) {
      window.onWritable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  // ---- stream → channel ----

  /** A frame from the stream. Any thread. */
  public void onFrame(DialFrame frame) {
    runOnLoop(() -> writeFrame(frame));
  }

  private void writeFrame(DialFrame frame) {
    window.received();
    if (done || wroteEnd) {
      return;
    }
    switch (frame.getKindCase()) {
      case DATA -> {
        channel.writeAndFlush(Unpooled.wrappedBuffer(frame.getData().asReadOnlyByteBuffer()))
            .addListener((ChannelFutureListener) f -> {
              if (!f.isSuccess()) {
                abort("write failed: " + f.cause().getMessage());
              }
            });
        requestFrames();
      }
      case END -> outputEnded();
      default -> abort("unexpected frame " + frame.getKindCase());
    }
  }

  /** The peer's side ended: shut down our output once what was written is through. */
  private void outputEnded() {
    wroteEnd = true;
    if (channel instanceof DuplexChannel duplex) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
        if (f.isSuccess() && channel.isActive()) {
          duplex.shutdownOutput();
        }
      });
    }
    maybeDone();
  }

  private void requestFrames() {
    if (!done && !wroteEnd) {
      window.fill();
    }
  }

  /** The peer completed the call: the end of its data if it had not said so, then done. Any thread. */
  public void onCallCompleted() {
    runOnLoop(() -> {
      if (done) {
        return;
      }
      if (!wroteEnd) {
        outputEnded();
      }
      if (!done && side == Side.DAEMON) {
        // The agent only completes after both directions ended; our end is in flight or the agent gave up.
        done = true;
        closeWhenFlushed();
      }
    });
  }

  /** The stream failed: the peer cancelled, or the tunnel broke. Any thread. */
  public void onCallError(Throwable t) {
    runOnLoop(() -> {
      if (done) {
        return;
      }
      done = true;
      logger.fine(() -> "dial stream failed: " + Status.fromThrowable(t));
      if (wroteEnd) {
        closeWhenFlushed(); // everything the peer sent is written; only the goodbye was not clean
      } else {
        channel.close();
      }
    });
  }

  private void maybeDone() {
    if (!done && sentEnd && wroteEnd) {
      finish();
    }
  }

  /** Both directions ended cleanly. */
  private void finish() {
    done = true;
    if (side == Side.AGENT) {
      call.onCompleted();
    }
    closeWhenFlushed();
  }

  private void closeWhenFlushed() {
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  private void abort(String reason) {
    if (done) {
      return;
    }
    done = true;
    logger.fine(() -> "dialed connection " + channel + " aborted: " + reason);
    if (call instanceof ClientCallStreamObserver<DialFrame> client) {
      client.cancel("devproxy: " + reason, null);
    } else {
      call.onError(Status.CANCELLED.withDescription("devproxy: " + reason).asRuntimeException());
    }
    channel.close();
  }

  private void runOnLoop(Runnable task) {
    if (channel.eventLoop().inEventLoop()) {
      task.run();
    } else {
      channel.eventLoop().execute(task);
    }
  }
}

package io.devproxy.e2e.bench;

import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.StreamRequest;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * gRPC server streaming: one endless {@code SayHelloStream} of {@code payloadBytes}-byte replies, read as fast as
 * they come, cancelled when the time is up; MB/s (10^6 bytes) of payload received.
 */
final class GrpcBulk implements Workload {

  private final int payloadBytes;
  private final Duration warmup;
  private final Duration duration;

  GrpcBulk(int payloadBytes, Duration warmup, Duration duration) {
    this.payloadBytes = payloadBytes;
    this.warmup = warmup;
    this.duration = duration;
  }

  @Override
  public String title() {
    return "gRPC server streaming, bulk";
  }

  @Override
  public String description() {
    return String.format(Locale.ROOT, "One `SayHelloStream` of %d KiB replies on one channel, read as fast as they "
        + "come; payload MB/s; %s warm-up, %s measured.", payloadBytes / 1024, Durations.text(warmup),
        Durations.text(duration));
  }

  @Override
  public List<Metric> metrics() {
    return List.of(new Metric("mbps", "MB/s", false));
  }

  @Override
  public Unit unit() {
    return new Unit("GiB", 1L << 30);
  }

  @Override
  public Trial open(Route route) {
    return GrpcClient.trial(route, warmup, duration, this::run);
  }

  private Figures run(GrpcClient client, Route route, Duration time) throws InterruptedException {
    Reader reader = new Reader(route.expectWho(), System.nanoTime() + time.toNanos());
    long start = System.nanoTime();
    client.async().sayHelloStream(StreamRequest.newBuilder().setName("bench").setCount(-1)
        .setPayloadBytes(payloadBytes).build(), reader);
    if (!reader.done.await(time.toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
      reader.cancel("the stream stalled");
    }
    // The latch (or the cancel's synchronization) orders the reader's fields before these reads.
    synchronized (reader) {
      long elapsed = reader.last - start;
      Map<String, Double> values = reader.bytes == 0 || elapsed <= 0 ? Map.of()
          : Map.of("mbps", reader.bytes * 1e3 / elapsed);
      return new Figures(values, reader.bytes, reader.error == null ? 0 : 1, reader.error);
    }
  }

  /** Counts payload bytes on the channel's event loop and cancels the call at the deadline. */
  private static final class Reader implements ClientResponseObserver<StreamRequest, HelloReply> {
    private final String expectWho;
    private final long deadline;
    final CountDownLatch done = new CountDownLatch(1);
    private ClientCallStreamObserver<StreamRequest> call;
    private boolean cancelled;
    long bytes;
    long last;
    String error;

    Reader(String expectWho, long deadline) {
      this.expectWho = expectWho;
      this.deadline = deadline;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<StreamRequest> requestStream) {
      call = requestStream;
    }

    @Override
    public synchronized void onNext(HelloReply reply) {
      if (cancelled) {
        return;
      }
      if (bytes == 0) {
        error = ErrorTally.wrongServer(reply.getServedBy(), expectWho);
      }
      bytes += reply.getPayload().size();
      last = System.nanoTime();
      if (last >= deadline || error != null) {
        cancel(null);
      }
    }

    synchronized void cancel(String why) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      if (why != null && error == null) {
        error = why;
      }
      call.cancel("the bench has measured enough", null);
      done.countDown();
    }

    @Override
    public synchronized void onError(Throwable t) {
      if (!cancelled && error == null) {
        error = Status.fromThrowable(t).toString();
      }
      cancelled = true;
      done.countDown();
    }

    @Override
    public synchronized void onCompleted() {
      if (!cancelled) {
        error = "the endless stream completed";
      }
      done.countDown();
    }
  }
}

package io.devproxy.e2e.bench;

import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * gRPC unary {@code SayHello} as fast as answers come, closed loop: {@code concurrency} calls in flight on one
 * channel, each answer starting the next call until the time is up. A lane whose call fails stops.
 */
final class GrpcMaxRate implements Workload {

  private static final HelloRequest REQUEST = HelloRequest.newBuilder().setName("bench").build();

  private final int concurrency;
  private final Duration warmup;
  private final Duration duration;

  GrpcMaxRate(int concurrency, Duration warmup, Duration duration) {
    this.concurrency = concurrency;
    this.warmup = warmup;
    this.duration = duration;
  }

  @Override
  public String title() {
    return concurrency == 1 ? "gRPC unary, one call at a time" : "gRPC unary, max rate";
  }

  @Override
  public String description() {
    return String.format(Locale.ROOT, "`SayHello` closed loop, %d calls in flight on one channel; latency "
        + "percentiles at that saturation; %s warm-up, %s measured.", concurrency, Durations.text(warmup),
        Durations.text(duration));
  }

  @Override
  public List<Metric> metrics() {
    return List.of(new Metric("rate", "calls/s", false), new Metric("p50", "p50 ms", false),
        new Metric("p99", "p99 ms", false));
  }

  @Override
  public Unit unit() {
    return new Unit("10k calls", 10_000);
  }

  @Override
  public Trial open(Route route) {
    return GrpcClient.trial(route, warmup, duration, this::run);
  }

  private Figures run(GrpcClient client, Route route, Duration time) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + time.toNanos();
    CountDownLatch lanes = new CountDownLatch(concurrency);
    ErrorTally errors = new ErrorTally();
    List<Lane> all = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Lane lane = new Lane(client, route.expectWho(), deadline, lanes, errors);
      all.add(lane);
      lane.call();
    }
    boolean finished = lanes.await(time.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    long elapsed = System.nanoTime() - start;
    // The latch orders each lane's latencies before this read.
    long[] latencies = all.stream().flatMapToLong(lane -> lane.latencies.stream().mapToLong(Long::longValue))
        .sorted().toArray();
    Map<String, Double> values = new HashMap<>();
    if (latencies.length > 0) {
      values.put("rate", latencies.length * 1e9 / elapsed);
      values.put("p50", Latencies.quantile(latencies, 0.5) / 1e6);
      values.put("p99", Latencies.quantile(latencies, 0.99) / 1e6);
    }
    long stuck = finished ? 0 : lanes.getCount();
    return errors.figures(values, latencies.length, stuck, "calls unanswered 10 s after the end");
  }

  /** One call after another; callbacks run on the channel's event loop, one call of a lane at a time. */
  private static final class Lane implements StreamObserver<HelloReply> {
    private final GrpcClient client;
    private final String expectWho;
    private final long deadline;
    private final CountDownLatch done;
    private final ErrorTally errors;
    final List<Long> latencies = new ArrayList<>();
    private long sent;
    private String servedBy;

    Lane(GrpcClient client, String expectWho, long deadline, CountDownLatch done, ErrorTally errors) {
      this.client = client;
      this.expectWho = expectWho;
      this.deadline = deadline;
      this.done = done;
      this.errors = errors;
    }

    void call() {
      sent = System.nanoTime();
      servedBy = null;
      client.async().sayHello(REQUEST, this);
    }

    @Override
    public void onNext(HelloReply reply) {
      servedBy = reply.getServedBy();
    }

    @Override
    public void onError(Throwable t) {
      fail(t.toString());
    }

    @Override
    public void onCompleted() {
      long now = System.nanoTime();
      String wrong = ErrorTally.wrongServer(servedBy, expectWho);
      if (wrong != null) {
        fail(wrong);
        return;
      }
      latencies.add(now - sent);
      if (now < deadline) {
        call();
      } else {
        done.countDown();
      }
    }

    private void fail(String what) {
      errors.add(what);
      done.countDown();
    }
  }
}

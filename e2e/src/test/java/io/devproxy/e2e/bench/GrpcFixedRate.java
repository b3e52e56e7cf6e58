package io.devproxy.e2e.bench;

import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * gRPC unary {@code SayHello} at a fixed rate, open loop: call {@code i} starts at {@code start + i / rate} on the
 * async stub whether or not earlier ones have been answered, and its latency counts from then. Calls still
 * unanswered 10 s after the last was due count as errors.
 */
final class GrpcFixedRate implements Workload {

  private static final HelloRequest REQUEST = HelloRequest.newBuilder().setName("bench").build();

  private final int rate;
  private final Duration warmup;
  private final Duration duration;

  GrpcFixedRate(int rate, Duration warmup, Duration duration) {
    this.rate = rate;
    this.warmup = warmup;
    this.duration = duration;
  }

  @Override
  public String title() {
    return "gRPC unary, fixed rate";
  }

  @Override
  public String description() {
    return String.format(Locale.ROOT, "`SayHello` at %,d calls/s, open loop (grpc-java async stub on one channel, "
        + "latency from when each call was due); %s warm-up, %s measured.", rate, Durations.text(warmup),
        Durations.text(duration));
  }

  @Override
  public List<Metric> metrics() {
    return List.of(new Metric("p50", "p50 ms", true), new Metric("p90", "p90 ms", false),
        new Metric("p99", "p99 ms", true), new Metric("rate", "answered calls/s", false));
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
    int total = (int) (rate * time.toNanos() / 1_000_000_000L);
    long[] latencies = new long[total];
    AtomicInteger answered = new AtomicInteger();
    ErrorTally errors = new ErrorTally();
    CountDownLatch done = new CountDownLatch(total);
    double interval = 1e9 / rate;
    long start = System.nanoTime();
    AtomicInteger issued = new AtomicInteger();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "bench-grpc-pacer");
      thread.setDaemon(true);
      return thread;
    });
    ticker.scheduleAtFixedRate(() -> {
      long now = System.nanoTime();
      for (int i = issued.get(); i < total && start + (long) (i * interval) <= now; i = issued.incrementAndGet()) {
        long due = start + (long) (i * interval);
        client.async().sayHello(REQUEST, new StreamObserver<>() {
          private String servedBy;

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
            String wrong = ErrorTally.wrongServer(servedBy, route.expectWho());
            if (wrong != null) {
              fail(wrong);
              return;
            }
            latencies[answered.getAndIncrement()] = System.nanoTime() - due;
            done.countDown();
          }

          private void fail(String what) {
            errors.add(what);
            done.countDown();
          }
        });
      }
    }, 0, 1, TimeUnit.MILLISECONDS);
    boolean all = done.await(time.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    long elapsed = System.nanoTime() - start;
    ticker.shutdownNow();
    // The latch orders every recorded latency before this read; late answers after a timeout are not read.
    int n = answered.get();
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    long unanswered = all ? 0 : done.getCount();
    Map<String, Double> values = new HashMap<>();
    if (n > 0) {
      values.put("p50", Latencies.quantile(sorted, 0.5) / 1e6);
      values.put("p90", Latencies.quantile(sorted, 0.9) / 1e6);
      values.put("p99", Latencies.quantile(sorted, 0.99) / 1e6);
      values.put("rate", n * 1e9 / Math.max(elapsed, time.toNanos()));
    }
    return errors.figures(values, n, unanswered, "calls unanswered 10 s after the last was due");
  }
}

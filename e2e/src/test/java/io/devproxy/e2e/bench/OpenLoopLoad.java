package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.netty.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fixed-rate (open-loop) HTTP/1.1 load over a pool of keep-alive connections: request {@code i} is due at
 * {@code start + i / rate} whether or not earlier ones have been answered; a due request waits for an idle
 * connection, and its latency counts from when it was due, so a stall shows in the latencies instead of slowing
 * the load (no coordinated omission). Every connection and the pacing timer share one event loop, so the state
 * below is touched by that thread only.
 *
 * <p>Owns its event loop; {@link #close()} closes the connections and stops it.
 */
final class OpenLoopLoad implements AutoCloseable {

  /**
   * What one run saw. Latencies (sorted, nanoseconds) cover the requests due in the measured window,
   * {@code answeredInWindow} the successes answered during it (the throughput), {@code errors} failed answers and
   * connections over the whole run, warm-up included, and {@code unanswered} the requests still queued or in
   * flight 10 s after the last was due: the backlog of a system that could not keep up with the rate.
   */
  record Result(int rate, long answeredInWindow, long errors, String firstError, long unanswered, long[] latencies,
      long measuredNanos, int maxQueued, int connectionsLost) {

    /** The latency at quantile {@code q} (0-1), in nanoseconds; -1 without samples. */
    long quantile(double q) {
      return Latencies.quantile(latencies, q);
    }

    double achievedRate() {
      return answeredInWindow * 1e9 / measuredNanos;
    }
  }

  private final EventLoopGroup group = EventLoops.newGroup("bench-load", 1);
  private final EventLoop loop = group.next();
  private final InetSocketAddress target;
  private final String path;
  private final Map<String, String> headers;
  private final String expectServedBy;
  private final int connections;

  // Event-loop state.
  private final ArrayDeque<LoadClientHandler> idle = new ArrayDeque<>();
  private final ArrayDeque<Long> queued = new ArrayDeque<>();
  private long start;
  private double intervalNanos;
  private long total;
  private long scheduled;
  private long measureFrom;
  private long measureTo;
  private long answeredInWindow;
  private long inFlight;
  private long[] latencies = new long[0];
  private int latencyCount;
  private long errors;
  private String firstError;
  private int maxQueued;
  private int lost;
  private boolean running;
  private ScheduledFuture<?> ticker;
  private CompletableFuture<Void> finished;

  /**
   * @param headers sent with every request besides {@code Host}
   * @param expectServedBy the {@code x-served-by} an answer must carry to count as a success
   */
  OpenLoopLoad(InetSocketAddress target, int connections, String path, Map<String, String> headers,
      String expectServedBy) {
    this.target = requireNonNull(target, "target");
    this.path = requireNonNull(path, "path");
    this.headers = Map.copyOf(headers);
    this.expectServedBy = requireNonNull(expectServedBy, "expectServedBy");
    if (connections < 1) {
      throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
    }
    this.connections = connections;
  }

  /** Opens the connections (all of them, before any request is due). */
  OpenLoopLoad connect() throws InterruptedException {
    for (int i = 0; i < connections; i++) {
      connectOne().sync();
    }
    return this;
  }

  private ChannelFuture connectOne() {
    return new Bootstrap().group(loop).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                new LoadClientHandler(OpenLoopLoad.this, path, headers, expectServedBy));
          }
        })
        .connect(target);
  }

  /**
   * Sends {@code rate} requests a second for {@code warmup + duration}, then waits up to 10 s for the last
   * answers; requests still unanswered then are counted apart from errors (a backlog, not a failure).
   */
  Result run(int rate, Duration warmup, Duration duration) throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> begin(rate, warmup, duration, done));
    try {
      done.get(warmup.plus(duration).toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // Reported below as unanswered requests.
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    CompletableFuture<Result> result = new CompletableFuture<>();
    loop.execute(() -> result.complete(finish(rate, duration)));
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the load's event loop did not answer", e);
    }
  }

  private void begin(int rate, Duration warmup, Duration duration, CompletableFuture<Void> done) {
    start = System.nanoTime();
    intervalNanos = 1e9 / rate;
    total = (long) (rate * (warmup.toNanos() + duration.toNanos()) / 1e9);
    measureFrom = start + warmup.toNanos();
    measureTo = measureFrom + duration.toNanos();
    answeredInWindow = 0;
    latencies = new long[(int) Math.min(Integer.MAX_VALUE - 8, total)];
    latencyCount = 0;
    scheduled = 0;
    errors = 0;
    firstError = null;
    maxQueued = 0;
    lost = 0;
    running = true;
    finished = done;
    ticker = loop.scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    long now = System.nanoTime();
    while (scheduled < total && start + (long) (scheduled * intervalNanos) <= now) {
      queued.add(start + (long) (scheduled * intervalNanos));
      scheduled++;
    }
    maxQueued = Math.max(maxQueued, queued.size());
    dispatch();
    checkDone();
  }

  private void dispatch() {
    while (!queued.isEmpty() && !idle.isEmpty()) {
      inFlight++;
      idle.poll().send(queued.poll());
    }
  }

  private void checkDone() {
    if (running && scheduled == total && queued.isEmpty() && inFlight == 0) {
      running = false;
      ticker.cancel(false);
      finished.complete(null);
    }
  }

  void connected(LoadClientHandler connection) {
    idle.add(connection);
    dispatch();
  }

  /** An answer to the request due at {@code intended}; {@code error} null for a success. */
  void answered(LoadClientHandler connection, long intended, String error) {
    long now = System.nanoTime();
    inFlight--;
    if (error != null) {
      error(error);
    } else {
      if (intended >= measureFrom && latencyCount < latencies.length) {
        latencies[latencyCount++] = now - intended;
      }
      if (now >= measureFrom && now < measureTo) {
        answeredInWindow++;
      }
    }
    idle.add(connection);
    dispatch();
    checkDone();
  }

  /** The connection closed; {@code intended} is its request in flight, or -1. A new connection replaces it. */
  void lost(LoadClientHandler connection, long intended) {
    idle.remove(connection);
    if (intended >= 0) {
      inFlight--;
      error("connection closed with a request in flight");
    }
    lost++;
    if (running) {
      connectOne();
    }
    checkDone();
  }

  void error(String what) {
    errors++;
    if (firstError == null) {
      firstError = what;
    }
  }

  private Result finish(int rate, Duration duration) {
    long unanswered = 0;
    if (running) {
      running = false;
      ticker.cancel(false);
      unanswered = (total - scheduled) + queued.size() + inFlight;
      queued.clear();
    }
    long[] sorted = Arrays.copyOf(latencies, latencyCount);
    Arrays.sort(sorted);
    return new Result(rate, answeredInWindow, errors, firstError, unanswered, sorted, duration.toNanos(), maxQueued,
        lost);
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}

package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.sandbox.http.RestServer;
import io.netty.util.internal.PlatformDependent;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB response through the tunnel to a reader that keeps stopping: the agent and the daemon (both in this
 * JVM) hold only a bounded amount of it at any time, because every hop passes the reader's pace back to the
 * local server.
 */
class FlowControlTest {

  static final long ONE_GIB = 1L << 30;
  static final long HEAP_BOUND = 256L << 20;
  static final long DIRECT_BOUND = 128L << 20;

  @TempDir
  static Path root;

  static RestServer cluster;
  static RestServer local;
  static Loopback loopback;

  @BeforeAll
  static void start() throws Exception {
    loopback = Loopback.withRestServers(root);
    cluster = loopback.cluster;
    local = loopback.local;
    loopback.intercept("bulk", local.address().getPort());
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
  }

  @Test
  void oneGibToASlowReaderKeepsMemoryBounded() throws Exception {
    AtomicLong maxRetainedHeap = new AtomicLong();
    AtomicLong maxDirect = new AtomicLong();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        maxRetainedHeap.accumulateAndGet(retainedHeapAfterLastGc(), Math::max);
        maxDirect.accumulateAndGet(PlatformDependent.usedDirectMemory(), Math::max);
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "memory-sampler");
    sampler.start();
    long received = 0;
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(64 * 1024);
      socket.connect(loopback.agent.listenAddress(), 5000);
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /bytes?n=" + ONE_GIB + "&chunked=false HTTP/1.1\r\nHost: bulk\r\nx-devproxy-session: "
          + Loopback.KEY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200").contains("x-served-by: local").contains("content-length: " + ONE_GIB);
      byte[] buffer = new byte[64 * 1024];
      long nextPause = 64L << 20;
      while (received < ONE_GIB) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, ONE_GIB - received));
        if (n < 0) {
          break;
        }
        for (int i = 0; i < n; i += 4099) {
          assertThat(buffer[i]).isEqualTo((byte) ((received + i) % 251));
        }
        received += n;
        if (received >= nextPause) {
          nextPause += 64L << 20;
          Thread.sleep(300); // the slow reader stops; everything upstream must stop with it
        }
      }
    } finally {
      sampling.set(false);
      sampler.join();
    }
    assertThat(received).isEqualTo(ONE_GIB);
    System.out.printf("flow control: 1 GiB through the tunnel, max heap retained after GC %d MiB, max direct %d MiB%n",
        maxRetainedHeap.get() >> 20, maxDirect.get() >> 20);
    assertThat(maxRetainedHeap.get()).isLessThan(HEAP_BOUND);
    assertThat(maxDirect.get()).isLessThan(DIRECT_BOUND);
  }

  /** The old generation's occupancy after the last collection: what survives, not what awaits collection. */
  static long retainedHeapAfterLastGc() {
    long retained = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null
          && !pool.getName().toLowerCase().contains("eden") && !pool.getName().toLowerCase().contains("survivor")) {
        retained += pool.getCollectionUsage().getUsed();
      }
    }
    return retained;
  }

  static String readHead(InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.append((char) c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
    }
    return head.toString().toLowerCase().replace("http/1.1 200", "HTTP/1.1 200");
  }
}

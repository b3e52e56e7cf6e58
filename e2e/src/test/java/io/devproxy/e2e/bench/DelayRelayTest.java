package io.devproxy.e2e.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The benchmark's slow link: bytes arrive intact and in order both ways, later by at least the delay, and a
 * half-close travels through it. Only lower bounds on time are checked: a relay cannot be early, whatever the load.
 */
@Timeout(60)
class DelayRelayTest {

  private static final Duration DELAY = Duration.ofMillis(25);

  private ServerSocket echo;
  private DelayRelay relay;

  @BeforeEach
  void start() throws Exception {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread server = new Thread(this::serveEcho, "echo");
    server.setDaemon(true);
    server.start();
    relay = DelayRelay.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()), DELAY);
  }

  @AfterEach
  void stop() throws IOException {
    if (relay != null) {
      relay.close();
    }
    echo.close();
  }

  /** Echoes each connection until the client half-closes, then closes it. */
  private void serveEcho() {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        Thread t = new Thread(() -> {
          try (s) {
            s.getInputStream().transferTo(s.getOutputStream());
          } catch (IOException ignored) {
            // the client went away
          }
        }, "echo-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  @Test
  void aRoundTripTakesAtLeastTwiceTheDelay() throws Exception {
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.address().getPort())) {
      client.setTcpNoDelay(true);
      for (int i = 0; i < 3; i++) {
        long start = System.nanoTime();
        client.getOutputStream().write(i);
        assertThat(client.getInputStream().read()).isEqualTo(i);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(DELAY.multipliedBy(2));
      }
    }
  }

  @Test
  void manyMegabytesArriveIntactAndTheHalfCloseFollowsThem() throws Exception {
    byte[] sent = new byte[3 * DelayRelay.IN_FLIGHT_LIMIT];
    new Random(7).nextBytes(sent);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.address().getPort())) {
      CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
        try (InputStream in = client.getInputStream()) {
          return in.readAllBytes();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      OutputStream out = client.getOutputStream();
      out.write(sent);
      client.shutdownOutput();

      // readAllBytes ends at the echo server's close, which follows the half-close through the relay.
      assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(sent);
    }
  }

  @Test
  void negativeDelayIsRefused() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> DelayRelay.start(relay.address(), Duration.ofMillis(-1)))
        .withMessageContaining("expected: zero or more");
  }
}

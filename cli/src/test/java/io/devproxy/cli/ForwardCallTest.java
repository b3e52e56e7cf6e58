package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link DaemonClient#forward} and the {@link ForwardCall} it returns, against a fake daemon. */
class ForwardCallTest extends FakeDaemonHomeTest {

  private final List<String> ended = new CopyOnWriteArrayList<>();

  private DaemonClient client() {
    return new DaemonClient(home().resolve("daemon.sock"), home().resolve("logs/daemon.log"));
  }

  @Test
  void closingTheCallCancelsItWhileTheClientStaysOpen() throws Exception {
    FakeDaemon fake = startDaemon();
    try (DaemonClient daemon = client()) {
      ForwardCall call = daemon.forward(List.of("orders.shop:50051:15051"), ended::add);

      assertThat(call.forwards()).containsExactly(
          ForwardInfo.newBuilder().setHost("orders.shop").setPort(50051).setLocalPort(15051).build());
      assertThat(fake.forwardCancels).hasValue(0);
      call.close();
      call.close();

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(fake.forwardCancels).hasValue(1));
      assertThat(daemon.status().getVersion()).isEqualTo("9.9.9");
    }
    assertThat(ended).isEmpty();
  }

  @Test
  void theDaemonEndingAnOpenCallIsReportedOnce() throws Exception {
    FakeDaemon fake = startDaemon();
    try (DaemonClient daemon = client(); ForwardCall call = daemon.forward(List.of("web:8080"), ended::add)) {
      assertThat(call.forwards()).hasSize(1);

      fake.endForwards(new DevproxyException(ErrorCategory.CLUSTER, "intercept orders ended: no agent to dial through"));

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ended).containsExactly(
          "the --forward ports closed: intercept orders ended: no agent to dial through"));
    }
  }

  @Test
  void theEndIsReportedOnTheClientsCallbackThreadWhichCloseStops() throws Exception {
    FakeDaemon fake = startDaemon();
    AtomicReference<Thread> reportedOn = new AtomicReference<>();
    DaemonClient daemon = client();
    try (ForwardCall call = daemon.forward(List.of("web:8080"), line -> reportedOn.set(Thread.currentThread()))) {
      assertThat(call.forwards()).hasSize(1);

      fake.endForwards(new DevproxyException(ErrorCategory.CLUSTER, "intercept orders ended"));

      await().atMost(Duration.ofSeconds(10)).until(() -> reportedOn.get() != null);
    } finally {
      daemon.close();
    }
    assertThat(reportedOn.get().getName()).startsWith("devproxy-cli-callback-");
    assertThat(reportedOn.get().isDaemon()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> !reportedOn.get().isAlive());
  }

  @Test
  void aRefusedCallIsTheDaemonsErrorWithItsCategory() throws Exception {
    startDaemon().forwardError = new DevproxyException(ErrorCategory.USER, "--forward web:0: port 0 (expected: 1-65535)");
    try (DaemonClient daemon = client()) {
      DevproxyException e = catchThrowableOfType(DevproxyException.class,
          () -> daemon.forward(List.of("web:0"), ended::add));

      assertThat(e.category()).isEqualTo(ErrorCategory.USER);
      assertThat(e.getMessage()).isEqualTo("--forward web:0: port 0 (expected: 1-65535)");
    }
    assertThat(ended).isEmpty();
  }
}

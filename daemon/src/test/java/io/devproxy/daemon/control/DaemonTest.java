package io.devproxy.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.Daemon;
import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.InterceptsFactory;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.QuitRequest;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.netty.EventLoops;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's wiring: home, pid file, control server, intercepts, and the order they stop in. */
class DaemonTest {

  @TempDir Path dir;

  private DevproxyHome home;
  private final FakeIntercepts intercepts = new FakeIntercepts();
  private final InterceptsFactory factory = (h, g) -> intercepts;
  private EventLoopGroup clientGroup;
  private Daemon daemon;

  @BeforeEach
  void setUp() throws Exception {
    home = DevproxyHome.open(dir.resolve("home"));
    clientGroup = EventLoops.newGroup("daemon-test-client", 1);
  }

  @AfterEach
  void tearDown() {
    if (daemon != null) {
      daemon.close();
    }
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void homeIsPrivateToTheUser() throws Exception {
    for (Path p : new Path[] {home.dir(), home.logsDir(), home.pkiDir(), home.stateDir()}) {
      assertThat(Files.getPosixFilePermissions(p)).as(p.toString()).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void startWritesThePidAndServesTheControlApi() throws Exception {
    daemon = new Daemon(home, factory);
    daemon.start();

    assertThat(Files.readString(home.pidFile()).trim()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
    try (ControlClient client = new ControlClient(home.socket(), clientGroup)) {
      assertThat(client.stub().status(StatusRequest.getDefaultInstance()).getHome()).isEqualTo(home.dir().toString());
    }
  }

  @Test
  void quitLeavesTheInterceptsWhileTheSocketIsUpThenStops() throws Exception {
    AtomicBoolean socketUpWhenInterceptsClosed = new AtomicBoolean();
    intercepts.onClose = () -> socketUpWhenInterceptsClosed.set(Files.exists(home.socket()));
    daemon = new Daemon(home, factory);
    daemon.start();
    try (ControlClient client = new ControlClient(home.socket(), clientGroup)) {
      client.stub().intercept(InterceptRequest.newBuilder().setName("web").build()).forEachRemaining(p -> {});

      client.stub().quit(QuitRequest.getDefaultInstance());
    }

    assertThat(daemon.awaitTermination(Duration.ofSeconds(15))).isTrue();
    assertThat(intercepts.closeCount).hasValue(1);
    assertThat(intercepts.intercepts).isEmpty();
    assertThat(socketUpWhenInterceptsClosed).isTrue();
    assertThat(home.socket()).doesNotExist();
    assertThat(home.pidFile()).doesNotExist();
  }

  @Test
  void closeAfterQuitIsANoOp() throws Exception {
    daemon = new Daemon(home, factory);
    daemon.start();
    try (ControlClient client = new ControlClient(home.socket(), clientGroup)) {
      client.stub().quit(QuitRequest.getDefaultInstance());
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> daemon.awaitTermination(Duration.ZERO));

    daemon.close();

    assertThat(intercepts.closeCount).hasValue(1);
  }

  @Test
  void secondDaemonOnTheSameHomeFailsAndLeavesTheFirstServing() throws Exception {
    daemon = new Daemon(home, factory);
    daemon.start();
    FakeIntercepts second = new FakeIntercepts();

    Daemon other = new Daemon(home, (h, g) -> second);
    assertThatThrownBy(other::start)
        .isInstanceOfSatisfying(
            DevproxyException.class, e -> assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG))
        .hasMessageContaining("another devproxy daemon (pid " + ProcessHandle.current().pid() + ")");

    assertThat(second.requests).isEmpty();
    assertThat(home.pidFile()).exists();
    try (ControlClient client = new ControlClient(home.socket(), clientGroup)) {
      assertThat(client.stub().status(StatusRequest.getDefaultInstance()).getPid())
          .isEqualTo(ProcessHandle.current().pid());
    }
  }

  @Test
  void failingInterceptEngineReleasesThePidFile() throws Exception {
    daemon =
        new Daemon(
            home,
            (h, g) -> {
              throw new DevproxyException(ErrorCategory.CONFIG, "no kubeconfig");
            });

    assertThatThrownBy(daemon::start).hasMessage("no kubeconfig");

    assertThat(home.pidFile()).doesNotExist();
    assertThat(home.socket()).doesNotExist();
    Daemon retry = new Daemon(home, factory);
    retry.start();
    retry.close();
  }
}

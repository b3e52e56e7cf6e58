package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaveAndQuitCommandTest {

  @TempDir Path home;

  private Path socket;
  private FakeDaemon daemon;

  @BeforeEach
  void setUp() {
    socket = home.resolve("daemon.sock");
  }

  @AfterEach
  void tearDown() {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void leaveAsksTheDaemon() throws Exception {
    daemon = new FakeDaemon(socket);

    CliRunner.Result result = new CliRunner(home).run("leave", "web");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(daemon.leaves).containsExactly("web");
    assertThat(result.out()).isEqualTo("left web" + System.lineSeparator());
  }

  @Test
  void leaveOfAnUnknownInterceptIsAUserError() throws Exception {
    daemon = new FakeDaemon(socket);
    daemon.nextError = new DevproxyException(ErrorCategory.USER, "no intercept named 'web'; see 'devproxy status'");

    CliRunner.Result result = new CliRunner(home).run("leave", "web");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).isEqualTo("devproxy: no intercept named 'web'; see 'devproxy status'" + System.lineSeparator());
  }

  @Test
  void quitStopsTheDaemonAndReturnsOnceItIsGone() throws Exception {
    daemon = new FakeDaemon(socket);

    CliRunner.Result result = new CliRunner(home).run("quit");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(daemon.quits).hasValue(1);
    assertThat(result.out()).isEqualTo("daemon stopped" + System.lineSeparator());
    assertThat(Files.exists(socket)).isFalse();
  }

  @Test
  void quitWithoutADaemonIsANoOp() {
    CliRunner cli = new CliRunner(home);

    CliRunner.Result result = cli.run("quit");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("daemon: not running (nothing to stop)" + System.lineSeparator());
    assertThat(cli.launches).hasValue(0);
    assertThat(socket).doesNotExist();
  }
}

package io.devproxy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.devproxy.tunnel.errors.DevproxyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoStackTest {

  @TempDir Path root;

  private final List<String> closed = new ArrayList<>();

  private AutoCloseable component(String name) {
    return () -> closed.add(name);
  }

  @Test
  void isAPrivateHomeWithLogsUnderIt() throws Exception {
    DemoStack stack = DemoStack.in(root.resolve("demo"));

    assertThat(stack.home().dir()).isEqualTo(root.resolve("demo"));
    assertThat(stack.logsDir()).isDirectory().isEqualTo(root.resolve("demo/logs"));
    assertThat(stack.agentLog().getParent()).isEqualTo(stack.logsDir());
    assertThat(stack.agentTlsDir().getParent()).isEqualTo(stack.dir());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.dir()))).isEqualTo("rwx------");
  }

  @Test
  void closeStopsWhatWasStartedLastFirstThenDeletesTheDirectory() throws Exception {
    DemoStack stack = DemoStack.in(root.resolve("demo"));
    stack.add(component("cluster"));
    stack.add(component("agent"));
    stack.add(component("daemon"));
    Files.writeString(Files.createDirectories(stack.dir().resolve("pki")).resolve("ca.key"), "secret");

    stack.close();

    assertThat(closed).containsExactly("daemon", "agent", "cluster");
    assertThat(stack.dir()).doesNotExist();
    assertThat(stack.problems()).isEmpty();
  }

  @Test
  void afterAFailureOnlyTheLogsAreKept() throws Exception {
    DemoStack stack = DemoStack.in(root.resolve("demo"));
    Files.writeString(stack.agentLog(), "agent said why");
    Files.writeString(Files.createDirectories(stack.dir().resolve("pki")).resolve("ca.key"), "secret");
    Files.writeString(Files.createDirectories(stack.agentTlsDir()).resolve("server.key"), "secret");

    stack.keepLogs();
    stack.close();

    try (Stream<Path> left = Files.walk(stack.dir())) {
      assertThat(left).containsExactlyInAnyOrder(stack.dir(), stack.logsDir(), stack.agentLog());
    }
    assertThat(stack.agentLog()).hasContent("agent said why");
  }

  @Test
  void closeIsIdempotent() throws Exception {
    DemoStack stack = DemoStack.in(root.resolve("demo"));
    stack.add(component("agent"));

    stack.close();
    stack.close();

    assertThat(closed).containsExactly("agent");
  }

  @Test
  void whatIsStartedAfterCloseIsStoppedAtOnce() throws Exception {
    DemoStack stack = DemoStack.in(root.resolve("demo"));
    stack.interrupt();

    assertThatThrownBy(() -> stack.add(component("late"))).isInstanceOf(DevproxyException.class);
    assertThat(closed).containsExactly("late");
    assertThat(stack.interrupted()).isTrue();
  }

  @Test
  void aComponentThatFailsToStopIsReportedAndTheOthersStillStop() throws Exception {
    DemoStack stack = DemoStack.in(root.resolve("demo"));
    stack.add(component("cluster"));
    stack.add(new AutoCloseable() {
      @Override
      public void close() {
        throw new IllegalStateException("still runs after SIGKILL");
      }

      @Override
      public String toString() {
        return "the traffic agent";
      }
    });

    stack.close();

    assertThat(closed).containsExactly("cluster");
    assertThat(stack.problems()).singleElement().asString()
        .contains("the traffic agent")
        .contains("still runs after SIGKILL");
  }
}

package io.devproxy.cli;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests of commands that talk to a {@link FakeDaemon} in a fresh home: the home, the daemon, and its closing. */
abstract class FakeDaemonHomeTest {

  @TempDir Path dir;

  /** The daemon {@link #startDaemon()} started; null before. */
  FakeDaemon daemon;

  @AfterEach
  void closeDaemon() {
    if (daemon != null) {
      daemon.close();
    }
  }

  Path home() {
    return dir.resolve("home");
  }

  FakeDaemon startDaemon() throws Exception {
    daemon = FakeDaemon.inHome(home());
    return daemon;
  }
}

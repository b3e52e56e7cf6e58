package io.devproxy.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's log as DevproxyHome documents it: logs/daemon.log keeps its name, rotated to .1 … .4, mode 0600. */
class RotatingFileHandlerTest {

  @TempDir Path logs;

  private static void log(RotatingFileHandler handler, String message) {
    handler.publish(new LogRecord(Level.INFO, message));
  }

  private RotatingFileHandler handler(long limit) throws Exception {
    RotatingFileHandler handler = new RotatingFileHandler(logs.resolve("daemon.log"), limit, DaemonLog.FILES);
    handler.setFormatter(new OneLineFormatter());
    return handler;
  }

  @Test
  void eachRecordIsOnDiskAsOneLineAtOnce() throws Exception {
    RotatingFileHandler handler = handler(1 << 20);
    log(handler, "daemon started");

    assertThat(Files.readAllLines(logs.resolve("daemon.log"))).singleElement().asString()
        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO .*: daemon started");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(logs.resolve("daemon.log"))))
        .isEqualTo("rw-------");
    handler.close();
  }

  @Test
  void rotatesToNumberedGenerationsKeepingTheNameAndDroppingTheOldest() throws Exception {
    RotatingFileHandler handler = handler(100); // about one record a file
    for (int i = 1; i <= 7; i++) {
      log(handler, "record " + i + " " + "x".repeat(60));
    }
    log(handler, "record 8");
    handler.close();

    assertThat(Files.readString(logs.resolve("daemon.log"))).contains("record 8");
    assertThat(Files.readString(logs.resolve("daemon.log.1"))).contains("record 7");
    assertThat(Files.readString(logs.resolve("daemon.log.4"))).contains("record 4");
    assertThat(logs.resolve("daemon.log.5")).doesNotExist();
    try (var files = Files.list(logs)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("daemon.log", "daemon.log.1", "daemon.log.2", "daemon.log.3", "daemon.log.4");
    }
  }

  @Test
  void aRestartedDaemonAppendsAndCountsWhatIsThere() throws Exception {
    RotatingFileHandler first = handler(150);
    log(first, "before the restart " + "x".repeat(60));
    first.close();

    RotatingFileHandler second = handler(150);
    log(second, "after the restart " + "x".repeat(60)); // passes the limit with the first record's bytes
    second.close();

    assertThat(Files.readString(logs.resolve("daemon.log.1"))).contains("before the restart", "after the restart");
    assertThat(Files.size(logs.resolve("daemon.log"))).isZero();
  }
}

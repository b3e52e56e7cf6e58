package io.devproxy.e2e;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what the JVM logs through java.util.logging (devproxy's and Netty's loggers) while it is started,
 * so a test can assert that expected noise (a caller's bad bytes, a reset) is not logged as a stack trace
 * at WARNING (STYLE.md, "Lifecycle and ownership").
 */
final class LogCapture extends Handler implements AutoCloseable {

  private final List<LogRecord> records = new CopyOnWriteArrayList<>();

  void start() {
    setLevel(Level.ALL);
    Logger.getLogger("").addHandler(this);
  }

  /** The records at WARNING or above that carry a stack trace, as "logger: message: throwable"; cleared. */
  List<String> stackTracesAtWarning() {
    List<String> found = records.stream()
        .filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue() && r.getThrown() != null)
        .map(r -> r.getLoggerName() + ": " + r.getMessage() + ": " + r.getThrown())
        .toList();
    records.clear();
    return found;
  }

  /** The formatted messages logged so far at {@code level} or above whose text contains {@code fragment}. */
  List<String> messages(Level level, String fragment) {
    return records.stream()
        .filter(r -> r.getLevel().intValue() >= level.intValue())
        .map(r -> new java.util.logging.SimpleFormatter().formatMessage(r))
        .filter(message -> message.contains(fragment))
        .toList();
  }

  @Override
  public void publish(LogRecord record) {
    records.add(record);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    Logger.getLogger("").removeHandler(this);
  }
}

package io.devproxy.daemon;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One line per record (plus the stack trace, when there is one), with {@link java.util.logging.SimpleFormatter}'s
 * arguments: 1 time, 2 source, 3 logger, 4 level, 5 message, 6 thrown.
 */
final class OneLineFormatter extends Formatter {

  static final String FORMAT = "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n";

  @Override
  public String format(LogRecord record) {
    ZonedDateTime time = ZonedDateTime.ofInstant(record.getInstant(), ZoneId.systemDefault());
    String source =
        record.getSourceClassName() != null
            ? record.getSourceClassName() + (record.getSourceMethodName() != null ? " " + record.getSourceMethodName() : "")
            : record.getLoggerName();
    String thrown = "";
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      try (PrintWriter writer = new PrintWriter(trace)) {
        writer.println();
        record.getThrown().printStackTrace(writer);
      }
      thrown = trace.toString().stripTrailing();
    }
    return String.format(
        FORMAT, time, source, record.getLoggerName(), record.getLevel().getName(), formatMessage(record), thrown);
  }
}

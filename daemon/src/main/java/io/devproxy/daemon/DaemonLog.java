package io.devproxy.daemon;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The daemon's logging: java.util.logging to {@code logs/daemon.log}, 10 MiB × 5 files, one line a record. */
final class DaemonLog {

  static final long LIMIT_BYTES = 10L * 1024 * 1024;
  static final int FILES = 5;

  /** Held: JUL keeps loggers weakly, and a collected logger forgets its filter. */
  private static final List<Logger> nettyBootstrapLoggers =
      List.of(
          Logger.getLogger("io.netty.bootstrap.AbstractBootstrap"),
          Logger.getLogger("io.netty.bootstrap.ServerBootstrap"),
          Logger.getLogger("io.netty.bootstrap.Bootstrap"));

  private DaemonLog() {}

  /**
   * Drops Netty's warning that a domain socket has no SO_KEEPALIVE: grpc-netty sets that option on every
   * channel, so each CLI call would log it.
   */
  static void quietDomainSocketOptionWarnings() {
    for (Logger logger : nettyBootstrapLoggers) {
      logger.setFilter(
          record -> {
            String message = record.getMessage();
            return message == null || !message.startsWith("Unknown channel option 'SO_KEEPALIVE'");
          });
    }
  }

  /** Sends every JUL logger (and Netty's) at INFO and above to {@code logFile}, replacing other handlers. */
  static void install(Path logFile) throws DevproxyException {
    RotatingFileHandler handler;
    try {
      handler = new RotatingFileHandler(logFile, LIMIT_BYTES, FILES);
    } catch (IOException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot open the daemon log " + logFile + ": " + e, e);
    }
    handler.setFormatter(new OneLineFormatter());
    handler.setLevel(Level.ALL);
    Logger root = Logger.getLogger("");
    for (Handler existing : root.getHandlers()) {
      root.removeHandler(existing);
      existing.close();
    }
    root.addHandler(handler);
    root.setLevel(Level.INFO);
    // Netty would pick SLF4J when a dependency brings its API without a binding, and log nowhere.
    InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    quietDomainSocketOptionWarnings();
  }
}

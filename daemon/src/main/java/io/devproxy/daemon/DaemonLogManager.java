package io.devproxy.daemon;

import java.util.logging.LogManager;

/**
 * A {@link LogManager} that does not reset itself while the JVM shuts down. The JDK's own shutdown hook
 * resets logging concurrently with ours, which would drop exactly the lines that say what the shutdown hook
 * restored in the cluster. {@link DaemonMain} installs it; our handler flushes every record, so nothing is
 * lost by not closing it.
 */
public final class DaemonLogManager extends LogManager {

  @Override
  public void reset() {
    if (!shuttingDown()) {
      super.reset();
    }
  }

  private static boolean shuttingDown() {
    try {
      Thread probe = new Thread(() -> {});
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}

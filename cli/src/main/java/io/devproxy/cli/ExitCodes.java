package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import picocli.CommandLine;

/**
 * The CLI's exit codes: 0 success; 2 a bad flag or USER error; 3 CONFIG; 4 CLUSTER; 5 INTERNAL; 6 the
 * daemon is unreachable and cannot be started; 7 (the launchers') no Java to run the CLI with. {@code --help}
 * lists them (Main's footer).
 */
public final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {

  public static final int OK = 0;
  public static final int USAGE = 2;
  public static final int DAEMON_UNREACHABLE = 6;
  /**
   * Not returned by the CLI: the exit code of its launchers ({@code bin/devproxy}, the checkout's {@code ./devproxy})
   * when they find no Java 17 or newer; reserved here so no other failure takes it.
   */
  public static final int NO_JAVA = 7;

  /** The exit code for a failed command. */
  public static int of(Throwable t) {
    if (t instanceof DevproxyException de) {
      return de.category().exitCode();
    }
    if (t instanceof DaemonUnreachableException) {
      return DAEMON_UNREACHABLE;
    }
    if (t instanceof CommandLine.ParameterException) {
      return USAGE;
    }
    if (t instanceof IllegalArgumentException) {
      return ErrorCategory.USER.exitCode();
    }
    return ErrorCategory.INTERNAL.exitCode();
  }

  @Override
  public int getExitCode(Throwable exception) {
    return of(exception);
  }
}

package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns failures into one line on stderr and an exit code ({@link ExitCodes}). A bad flag prints picocli's
 * message (which names the flag) and where to find help, and exits 2.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

  private final boolean debug;

  ErrorHandler(boolean debug) {
    this.debug = debug;
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    boolean commandWithoutDashes = ex instanceof UnmatchedArgumentException && !Arrays.asList(args).contains("--")
        && cmd.getCommandSpec().positionalParameters().stream().anyMatch(p -> p.paramLabel().equals("CMD"));
    // e.g. the -c of 'devproxy run sh -c env': an option of the command, not of devproxy
    err.println("devproxy: " + ex.getMessage() + (commandWithoutDashes ? "; to run a command, put it after '--'" : ""));
    UnmatchedArgumentException.printSuggestions(ex, err);
    err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
    err.flush();
    return ExitCodes.USAGE;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    Renderer renderer = new Renderer(cmd.getOut(), cmd.getErr(), OutputFormat.TABLE);
    if (debug) {
      ex.printStackTrace(cmd.getErr());
    }
    if (ex instanceof DevproxyException || ex instanceof DaemonUnreachableException || ex instanceof IllegalArgumentException) {
      renderer.error(ex.getMessage());
    } else {
      renderer.error("internal error: " + ex + " (run with " + Main.DEBUG_ENV + "=1 for details; please report it)");
    }
    return ExitCodes.of(ex);
  }
}

package io.devproxy.cli;

import picocli.CommandLine.Option;

/** {@code -o table|json}, shared by the commands that print a result. */
public final class OutputOptions {

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output format: table or json (default: table).")
  OutputFormat format = OutputFormat.TABLE;

  public OutputFormat format() {
    return format;
  }
}

package io.devproxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code devproxy certs ...}: the certificates of the tunnel's mutual TLS. */
@Command(
    name = "certs",
    description = "Certificates for the tunnel's mutual TLS.",
    subcommands = {CertsAgentCommand.class})
final class CertsCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw FlagChecks.missingSubcommand(spec);
  }
}

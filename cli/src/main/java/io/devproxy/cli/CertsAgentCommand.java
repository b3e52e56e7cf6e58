package io.devproxy.cli;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.AgentTlsDirResult;
import io.devproxy.tunnel.pki.UserPki;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code devproxy certs agent --out DIR}: writes the files an agent reads with {@code --tls-dir}: a server
 * certificate from the user's CA (created under {@code <home>/pki} on first use) and its key (0600), unless
 * the directory holds a usable one another developer wrote, which is kept and its issuer trusted; and the
 * client CAs the agent trusts, this user's added.
 */
@Command(
    name = "agent",
    description = "Write an agent's TLS files (server.crt, server.key, clients-ca.crt) signed by your CA.",
    sortOptions = false)
final class CertsAgentCommand implements Callable<Integer> {

  @ParentCommand CertsCommand certs;
  @Spec CommandSpec spec;
  @Mixin OutputOptions output;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the files (created 0700).")
  Path out;

  @Option(names = "--dns", paramLabel = "NAME", description = "Another DNS name for the server certificate; repeatable.")
  List<String> dnsNames = new ArrayList<>();

  @Option(names = "--ip", paramLabel = "ADDR", description = "Another IP address for the server certificate; repeatable.")
  List<String> ips = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    FlagChecks check = new FlagChecks(spec);
    dnsNames.forEach(name -> check.dnsName("--dns", name));
    ips.forEach(ip -> check.ipLiteral("--ip", ip));
    HomeDir home = certs.main.connector().home().create();
    Path outDir = out.toAbsolutePath().normalize();
    UserPki pki;
    AgentTlsDirResult result;
    try {
      pki = UserPki.loadOrCreate(home.pkiDir(), owner());
      result = pki.writeAgentTlsDir(outDir, dnsNames, ips);
    } catch (IOException e) {
      throw new DevproxyException(
          ErrorCategory.CONFIG, "cannot write the agent's TLS files to " + outDir + ": " + e.getMessage(), e);
    }
    Main.renderer(spec, output.format())
        .filesWritten(
            result.kept()
                ? List.of(outDir.resolve(AgentTls.CLIENTS_CA_FILE))
                : List.of(
                    outDir.resolve(AgentTls.SERVER_CERT_FILE),
                    outDir.resolve(AgentTls.SERVER_KEY_FILE),
                    outDir.resolve(AgentTls.CLIENTS_CA_FILE)),
            notes(pki, result, outDir));
    return ExitCodes.OK;
  }

  /** What the user should know beyond the files: a kept or replaced server certificate, a newly trusted CA. */
  private static List<String> notes(UserPki pki, AgentTlsDirResult result, Path outDir) {
    List<String> notes = new ArrayList<>();
    String issuer = result.issuer().getSubjectX500Principal().getName();
    if (result.kept()) {
      notes.add("kept the existing server certificate " + AgentTls.SERVER_CERT_FILE + " (issued by " + issuer
          + ", valid until " + result.serverCertificate().getNotAfter().toInstant()
          + "), so daemons that verify it keep working");
    } else if (result.replacedBecause() != null) {
      notes.add("replaced the existing server certificate (" + result.replacedBecause() + "): other developers"
          + " using this agent must run 'devproxy certs agent --out " + outDir + "' again");
    }
    if (!result.issuer().equals(pki.ca().certificate())) {
      notes.add((result.issuerNewlyTrusted() ? "now trusting" : "trusting") + " its issuer " + issuer
          + " for agent connections (" + pki.trustedAgentCasFile() + ")");
    }
    return notes;
  }

  /**
   * {@code user@host}, as agents and {@code devproxy status} show the developer. Must equal the daemon's
   * {@code TunnelIntercepts.ownerName()}: {@link UserPki} issues the client certificate again for another owner.
   */
  static String owner() {
    return UserPki.defaultOwner();
  }
}

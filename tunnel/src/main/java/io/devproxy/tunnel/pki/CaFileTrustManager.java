package io.devproxy.tunnel.pki;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies an agent's server certificate against the CAs in a PEM file, read again at each handshake and
 * used anew when its content changed, so that a running daemon trusts the CAs {@code devproxy certs agent}
 * added. Content that cannot be read or holds no certificate keeps the CAs read before, with one warning
 * per content. Client side only. Thread-safe.
 */
final class CaFileTrustManager extends OneSidedTrustManager {

  private static final Logger logger = Logger.getLogger(CaFileTrustManager.class.getName());

  private final Path file;

  // Guarded by this. The file's bytes, or its read error as bytes, when last looked at.
  private byte[] lastSeen;
  private List<X509Certificate> cas;
  private X509ExtendedTrustManager trust;

  /** @throws PkiFileException if {@code file} is missing, holds no certificate or unusable ones */
  CaFileTrustManager(Path file) throws IOException {
    super(false);
    this.file = file;
    try {
      this.lastSeen = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PkiFileException(file, Pem.describe(e), e);
    }
    this.cas = Pem.parseCertificates(lastSeen, file);
    try {
      this.trust = TlsMaterial.trustManager(cas);
    } catch (GeneralSecurityException e) {
      throw new PkiFileException(file, "cannot be used to verify agents (" + e.getMessage() + ")", e);
    }
  }

  @Override
  synchronized X509ExtendedTrustManager current() {
    byte[] content;
    String readError = null;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      readError = Pem.describe(e);
      content = ("\0" + readError).getBytes(UTF_8);
    }
    if (Arrays.equals(content, lastSeen)) {
      return trust;
    }
    lastSeen = content;
    try {
      if (readError != null) {
        throw new PkiFileException(file, readError);
      }
      List<X509Certificate> next = Pem.parseCertificates(content, file);
      trust = TlsMaterial.trustManager(next);
      cas = next;
      logger.log(Level.INFO, "Verifying agents with the CAs in {0}: {1}", new Object[] {file,
          cas.stream().map(ca -> ca.getSubjectX500Principal().getName()).toList()});
    } catch (PkiFileException | GeneralSecurityException e) {
      logger.log(Level.WARNING, "Keeping the agent CAs read before: {0}", e.getMessage());
    }
    return trust;
  }

  @Override
  public synchronized X509Certificate[] getAcceptedIssuers() {
    return cas.toArray(new X509Certificate[0]);
  }
}

package io.devproxy.tunnel.pki;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The three files of an agent's TLS directory as read at one moment; a file that could not be read
 * holds its error instead.
 */
final class AgentTlsFiles {

  private static final String[] NAMES =
      {AgentTls.SERVER_CERT_FILE, AgentTls.SERVER_KEY_FILE, AgentTls.CLIENTS_CA_FILE};

  private final Path dir;
  private final byte[][] contents = new byte[NAMES.length][];
  private final PkiFileException[] errors = new PkiFileException[NAMES.length];

  private AgentTlsFiles(Path dir) {
    this.dir = dir;
  }

  /** Reads the files in {@code dir}, following symbolic links (a Secret volume's {@code ..data}). */
  static AgentTlsFiles read(Path dir) {
    AgentTlsFiles files = new AgentTlsFiles(dir);
    for (int i = 0; i < NAMES.length; i++) {
      Path file = dir.resolve(NAMES[i]);
      try {
        files.contents[i] = Files.readAllBytes(file);
      } catch (IOException e) {
        files.errors[i] = new PkiFileException(file, Pem.describe(e) + "; " + fix(dir), e);
      }
    }
    return files;
  }

  /**
   * The material these files hold.
   *
   * @throws PkiFileException for the first file that could not be read or is not valid at {@code now}
   */
  TlsMaterial parse(String alias, Instant now) throws PkiFileException {
    for (PkiFileException error : errors) {
      if (error != null) {
        throw error;
      }
    }
    Path certFile = dir.resolve(NAMES[0]);
    Path keyFile = dir.resolve(NAMES[1]);
    Path clientsCaFile = dir.resolve(NAMES[2]);
    List<X509Certificate> chain = withFix(() -> Pem.parseCertificates(contents[0], certFile));
    PrivateKey key = withFix(() -> Pem.parsePrivateKey(contents[1], keyFile));
    List<X509Certificate> clientCas = withFix(() -> Pem.parseCertificates(contents[2], clientsCaFile));
    X509Certificate leaf = chain.get(0);
    if (!Keys.matches(key, leaf.getPublicKey())) {
      throw new PkiFileException(keyFile, "is not the key of " + certFile + "; " + fix(dir));
    }
    if (leaf.getNotAfter().toInstant().isBefore(now)) {
      throw new PkiFileException(
          certFile, "expired on " + leaf.getNotAfter().toInstant() + "; " + fix(dir));
    }
    try {
      return TlsMaterial.of(alias, key, chain, clientCas);
    } catch (GeneralSecurityException e) {
      throw new PkiFileException(clientsCaFile,
          "cannot be used to verify clients (" + e.getMessage() + "); " + fix(dir), e);
    }
  }

  @FunctionalInterface
  private interface Parse<T> {
    T run() throws PkiFileException;
  }

  private <T> T withFix(Parse<T> parse) throws PkiFileException {
    try {
      return parse.run();
    } catch (PkiFileException e) {
      throw new PkiFileException(e.file(), e.problem() + "; " + fix(dir), e.getCause());
    }
  }

  /** Equal for equal contents and errors: SHA-256 over each file's tagged, length-prefixed bytes. */
  byte[] fingerprint() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    for (int i = 0; i < NAMES.length; i++) {
      boolean read = contents[i] != null;
      byte[] part = read ? contents[i] : errors[i].getMessage().getBytes(UTF_8);
      digest.update((byte) (read ? 1 : 0));
      digest.update(new byte[] {(byte) (part.length >>> 24), (byte) (part.length >>> 16),
          (byte) (part.length >>> 8), (byte) part.length});
      digest.update(part);
    }
    return digest.digest();
  }

  private static String fix(Path dir) {
    return "write the agent's TLS files with 'devproxy certs agent --out " + dir + "'";
  }
}

package io.devproxy.tunnel.pki;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ByteArrayInputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.X509TrustedCertificateBlock;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads and writes certificates and private keys in PEM, the format of {@code kubectl create secret tls},
 * OpenSSL and Netty.
 *
 * <p>Readers accept a bundle of several {@code CERTIFICATE} blocks (text between blocks is ignored) and an
 * unencrypted private key as PKCS#8 {@code PRIVATE KEY} or as the traditional {@code EC PRIVATE KEY} /
 * {@code RSA PRIVATE KEY}. Writers always write PKCS#8 and replace the file atomically: a reader sees the
 * old content or the new, never a part. Key files are created with mode 0600 from the start, certificate
 * files with 0644.
 *
 * <p>A file that is missing or holds the wrong thing raises a {@link PkiFileException} naming the file;
 * other I/O errors propagate as they are. All methods are thread-safe.
 */
public final class Pem {

  private Pem() {}

  /**
   * Reads every certificate in {@code file}, in file order.
   *
   * @throws PkiFileException if the file does not exist, holds no certificate or a malformed one
   */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    return parseCertificates(read(file), file);
  }

  /**
   * Reads the first private key in {@code file}.
   *
   * @throws PkiFileException if the file does not exist, holds no private key, a malformed or an encrypted
   *     one
   */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    return parsePrivateKey(read(file), file);
  }

  /** Replaces {@code file} with {@code certificates} as PEM, mode 0644. The directory must exist. */
  public static void writeCertificates(Path file, List<X509Certificate> certificates)
      throws IOException {
    requireNonNull(file, "file");
    SecureFiles.writeAtomically(
        file, encodeCertificates(certificates).getBytes(US_ASCII), SecureFiles.PUBLIC_FILE);
  }

  /** Replaces {@code file} with {@code key} as PKCS#8 PEM, mode 0600. The directory must exist. */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    requireNonNull(file, "file");
    SecureFiles.writeAtomically(
        file, encodePrivateKey(key).getBytes(US_ASCII), SecureFiles.PRIVATE_FILE);
  }

  /** {@code certificates} as concatenated PEM {@code CERTIFICATE} blocks, e.g. for a Secret's data. */
  public static String encodeCertificates(List<X509Certificate> certificates) {
    requireNonNull(certificates, "certificates");
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("certificates: [] (expected: at least one)");
    }
    StringBuilder pem = new StringBuilder();
    for (X509Certificate certificate : certificates) {
      try {
        block(pem, "CERTIFICATE", requireNonNull(certificate, "certificate").getEncoded());
      } catch (CertificateException e) {
        throw new IllegalArgumentException(
            "certificate " + certificate.getSubjectX500Principal() + " cannot be encoded", e);
      }
    }
    return pem.toString();
  }

  /** {@code key} as a PEM PKCS#8 {@code PRIVATE KEY} block. */
  public static String encodePrivateKey(PrivateKey key) {
    requireNonNull(key, "key");
    if (!"PKCS#8".equals(key.getFormat()) || key.getEncoded() == null) {
      throw new IllegalArgumentException(
          "key: " + key.getAlgorithm() + " in format " + key.getFormat() + " (expected: PKCS#8)");
    }
    return block(new StringBuilder(), "PRIVATE KEY", key.getEncoded()).toString();
  }

  private static byte[] read(Path file) throws IOException {
    requireNonNull(file, "file");
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException | AccessDeniedException e) {
      throw new PkiFileException(file, describe(e), e);
    }
  }

  /** What went wrong reading a file, without its name: {@code "does not exist"}. */
  static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "does not exist";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      return "cannot be read: " + ((FileSystemException) e).getReason();
    }
    return "cannot be read: " + e;
  }

  /** Parses certificates from {@code pem}; {@code source} names the origin in error messages. */
  static List<X509Certificate> parseCertificates(byte[] pem, Path source) throws PkiFileException {
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    List<X509Certificate> certificates = new ArrayList<>();
    try (PEMParser parser = parser(pem)) {
      for (Object object; (object = parser.readObject()) != null; ) {
        if (object instanceof X509TrustedCertificateBlock) {
          object = ((X509TrustedCertificateBlock) object).getCertificateHolder();
        }
        if (object instanceof X509CertificateHolder) {
          certificates.add(converter.getCertificate((X509CertificateHolder) object));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new PkiFileException(source, "malformed certificate: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new PkiFileException(source, "no certificate found (expected PEM 'BEGIN CERTIFICATE')");
    }
    return List.copyOf(certificates);
  }

  /** Parses the first private key in {@code pem}; {@code source} names the origin in error messages. */
  static PrivateKey parsePrivateKey(byte[] pem, Path source) throws PkiFileException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = parser(pem)) {
      for (Object object; (object = parser.readObject()) != null; ) {
        if (object instanceof PrivateKeyInfo) {
          return converter.getPrivateKey((PrivateKeyInfo) object);
        }
        if (object instanceof PEMKeyPair) {
          // Not getKeyPair(): the public key is optional in an EC PRIVATE KEY and often absent.
          return converter.getPrivateKey(((PEMKeyPair) object).getPrivateKeyInfo());
        }
        if (object instanceof PKCS8EncryptedPrivateKeyInfo || object instanceof PEMEncryptedKeyPair) {
          throw new PkiFileException(source, "the private key is encrypted; devproxy needs it"
              + " unencrypted (decrypt it with 'openssl pkey -in " + source + "')");
        }
      }
    } catch (PkiFileException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new PkiFileException(source, "malformed private key: " + e.getMessage(), e);
    }
    throw new PkiFileException(source, "no private key found (expected PEM 'BEGIN PRIVATE KEY',"
        + " 'BEGIN EC PRIVATE KEY' or 'BEGIN RSA PRIVATE KEY')");
  }

  private static PEMParser parser(byte[] pem) {
    return new PEMParser(new InputStreamReader(new ByteArrayInputStream(pem), US_ASCII));
  }

  private static StringBuilder block(StringBuilder pem, String type, byte[] der) {
    return pem.append("-----BEGIN ").append(type).append("-----\n")
        .append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der))
        .append("\n-----END ").append(type).append("-----\n");
  }
}

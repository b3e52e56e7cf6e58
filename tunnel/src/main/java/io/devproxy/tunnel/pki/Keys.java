package io.devproxy.tunnel.pki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/** Key generation and the checks every loaded key goes through. JDK providers only. */
final class Keys {

  private Keys() {}

  /** A new EC P-256 key pair. */
  static KeyPair generateEcP256() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot generate EC P-256 keys", e);
    }
  }

  /** The signature algorithm a certificate signed with {@code key} uses. */
  static String signatureAlgorithm(PrivateKey key) {
    switch (key.getAlgorithm()) {
      case "EC":
        return "SHA256withECDSA";
      case "RSA":
        return "SHA256withRSA";
      default:
        throw new IllegalArgumentException(
            "key: " + key.getAlgorithm() + " (expected: an EC or RSA private key)");
    }
  }

  /** Whether {@code privateKey} is the private half of {@code publicKey}: signs a test message. */
  static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    try {
      byte[] message = "devproxy key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(signatureAlgorithm(privateKey));
      signer.initSign(privateKey);
      signer.update(message);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(signatureAlgorithm(privateKey));
      verifier.initVerify(publicKey);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }
}

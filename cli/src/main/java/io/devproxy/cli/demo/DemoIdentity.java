package io.devproxy.cli.demo;

import io.devproxy.tunnel.pki.UserPki;

/** Who the demo runs as: the certificate owner the daemon expects, and the session key requests carry. */
final class DemoIdentity {

  /** The key when the user name has no usable character. */
  static final String FALLBACK_KEY = "demo";

  private static final int MAX_KEY_LENGTH = 63;

  private DemoIdentity() {}

  /**
   * {@code user@host}: the same expression as the daemon's {@code TunnelIntercepts.ownerName()} and
   * {@code devproxy certs agent}, since {@link io.devproxy.tunnel.pki.UserPki} issues the client certificate
   * again for another owner, and the daemon would then present a certificate the demo agent's files never saw.
   */
  static String owner() {
    return UserPki.defaultOwner();
  }

  /** The session key for this user: {@link #sessionKey(String)} of {@code user.name}. */
  static String sessionKey() {
    return sessionKey(System.getProperty("user.name"));
  }

  /**
   * {@code userName} as a session key ({@code devproxy intercept --key} accepts letters, digits, '.', '_' and
   * '-', at most 63), as the daemon's default key would be: other characters become '-', a Windows {@code DOMAIN\} prefix is dropped; {@value
   * #FALLBACK_KEY} when nothing usable is left.
   */
  static String sessionKey(String userName) {
    if (userName == null) {
      return FALLBACK_KEY;
    }
    String name = userName.substring(userName.lastIndexOf('\\') + 1);
    StringBuilder key = new StringBuilder();
    for (int i = 0; i < name.length() && key.length() < MAX_KEY_LENGTH; i++) {
      char c = name.charAt(i);
      boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      key.append(allowed ? c : '-');
    }
    String result = key.toString().replaceAll("^-+|-+$", "");
    return result.isEmpty() ? FALLBACK_KEY : result;
  }
}

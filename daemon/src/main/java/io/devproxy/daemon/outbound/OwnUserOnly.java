package io.devproxy.daemon.outbound;

import io.netty.channel.Channel;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The outbound proxy and the {@code --forward} ports serve the daemon's own user only: another account on the
 * machine must not ride the developer's cluster access through a loopback port. On Linux the kernel says who owns
 * the other end of a loopback TCP connection ({@code /proc/net/tcp} and {@code tcp6}: the client's socket, its
 * uid); a connection owned by another uid is refused. Where the kernel does not tell ({@code /proc/net/tcp}
 * absent, e.g. macOS), connections are not checked: docs/SECURITY.md says so.
 */
final class OwnUserOnly {

  private static final Logger logger = Logger.getLogger(OwnUserOnly.class.getName());
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
  private static final OptionalInt OWN_UID = ownUid();
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
  /** Each refused uid is logged once per daemon. */
  private static final Set<Integer> logged = ConcurrentHashMap.newKeySet();

  private OwnUserOnly() {}

  /**
   * Why the connection must be refused: a line for the client, naming the users; null when its owner is the
   * daemon's user, or cannot be told.
   */
  static String refusal(Channel channel) {
    if (OWN_UID.isEmpty() || !(channel.remoteAddress() instanceof InetSocketAddress peer)
        || !(channel.localAddress() instanceof InetSocketAddress local)) {
      return null;
    }
    OptionalInt owner = ownerUid(peer, local);
    if (owner.isEmpty() || owner.getAsInt() == OWN_UID.getAsInt()) {
      return null;
    }
    int uid = owner.getAsInt();
    if (logged.add(uid)) {
      logger.info(() -> "refused a connection to " + Addresses.local(channel) + " from uid " + uid
          + ": it serves only uid " + OWN_UID.getAsInt() + ", the daemon's user (logged once per uid)");
    }
    return "devproxy: this port serves only uid " + OWN_UID.getAsInt() + " (the user running devproxy), not uid "
        + uid + "; run the client as that user";
  }

  /**
   * The uid owning the client end of the TCP connection whose server end is {@code local} and client end
   * {@code peer}, from the kernel's tables; empty when the tables are absent or hold no such connection.
   */
  static OptionalInt ownerUid(InetSocketAddress peer, InetSocketAddress local) {
    // Read on the accepting event loop: procfs, no disk; line by line, and only until the connection is found.
    for (Path table : TABLES) {
      try (BufferedReader lines = Files.newBufferedReader(table, StandardCharsets.US_ASCII)) {
        lines.readLine(); // the header
        String line;
        while ((line = lines.readLine()) != null) {
          // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
          String[] fields = line.trim().split("\\s+");
          if (fields.length > 7 && matches(fields[1], peer) && matches(fields[2], local)) {
            try {
              return OptionalInt.of(Integer.parseInt(fields[7]));
            } catch (NumberFormatException e) {
              return OptionalInt.empty();
            }
          }
        }
      } catch (IOException e) {
        // no such table: not Linux, or no IPv6
      }
    }
    return OptionalInt.empty();
  }

  /** Whether a table's {@code ADDRESS:PORT} (hex, the address in 32-bit host-order words) is {@code address}. */
  static boolean matches(String entry, InetSocketAddress address) {
    int colon = entry.indexOf(':');
    if (colon < 0 || address.getAddress() == null) {
      return false;
    }
    int port;
    try {
      port = Integer.parseInt(entry.substring(colon + 1), 16);
    } catch (NumberFormatException e) {
      return false;
    }
    if (port != address.getPort()) {
      return false;
    }
    InetAddress decoded = decode(entry.substring(0, colon));
    return decoded != null && decoded.equals(address.getAddress());
  }

  /**
   * An address as the tables print it: 8 or 32 hex digits, each 32-bit word in the machine's byte order. IPv4-mapped IPv6 addresses come back as IPv4, as Java reports such peers.
   */
  static InetAddress decode(String hex) {
    if (hex.length() != 8 && hex.length() != 32) {
      return null;
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int b = 0; b < 4; b++) {
        // Words in host order: on a little-endian machine the word's last byte pair in the text is its first byte.
        int at = word * 8 + (LITTLE_ENDIAN ? 3 - b : b) * 2;
        bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static OptionalInt ownUid() {
    try {
      if (!Files.isReadable(TABLES.get(0))) {
        return OptionalInt.empty();
      }
      return OptionalInt.of((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
      return OptionalInt.empty();
    }
  }

  /** Whether connections are checked here (the kernel tells who owns them). */
  static boolean enforced() {
    return OWN_UID.isPresent();
  }
}

package io.devproxy.daemon.outbound;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A blocking socket to the proxy that speaks the protocols byte by byte, for what real clients cannot show:
 * exact SOCKS5 reply codes, pipelined bytes, a silent client. Every read is bounded by {@link #TIMEOUT}.
 */
final class RawClient implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Socket socket;
  private final DataInputStream in;

  RawClient(InetSocketAddress proxy) throws IOException {
    socket = new Socket();
    socket.connect(proxy, (int) TIMEOUT.toMillis());
    socket.setSoTimeout((int) TIMEOUT.toMillis());
    in = new DataInputStream(socket.getInputStream());
  }

  Socket socket() {
    return socket;
  }

  RawClient write(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  RawClient write(String text) throws IOException {
    return write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  byte[] read(int n) throws IOException {
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return bytes;
  }

  String readString(int n) throws IOException {
    return new String(read(n), StandardCharsets.ISO_8859_1);
  }

  /** Everything until the proxy closes (a reset after the data counts as a close). */
  String readToEnd() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        bytes.write(buffer, 0, n);
      }
    } catch (SocketException e) {
      // reset after the reply
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  /** Whether the proxy closed the connection (EOF or reset) within {@link #TIMEOUT}, reading nothing else. */
  boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  /** A SOCKS5 greeting offering no authentication. */
  static byte[] socksGreeting() {
    return new byte[] {5, 1, 0};
  }

  /** A SOCKS5 request for a domain name. */
  static byte[] socksRequest(int command, String host, int port) {
    byte[] name = host.getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[7 + name.length];
    request[0] = 5;
    request[1] = (byte) command;
    request[3] = 3;
    request[4] = (byte) name.length;
    System.arraycopy(name, 0, request, 5, name.length);
    request[5 + name.length] = (byte) (port >> 8);
    request[6 + name.length] = (byte) port;
    return request;
  }

  /** A SOCKS5 CONNECT to an IP address: 4 bytes for IPv4, 16 for IPv6. */
  static byte[] socksConnect(byte[] address, int port) {
    byte[] request = new byte[6 + address.length];
    request[0] = 5;
    request[1] = 1;
    request[3] = (byte) (address.length == 4 ? 1 : 4);
    System.arraycopy(address, 0, request, 4, address.length);
    request[4 + address.length] = (byte) (port >> 8);
    request[5 + address.length] = (byte) port;
    return request;
  }

  /** Reads the method selection and the (IPv4-addressed) command reply; returns the reply code. */
  int socksReply() throws IOException {
    byte[] method = read(2);
    if (method[0] != 5 || method[1] != 0) {
      throw new AssertionError("method selection " + method[0] + "," + method[1]);
    }
    byte[] reply = read(10);
    if (reply[0] != 5 || reply[3] != 1) {
      throw new AssertionError("malformed reply, version " + reply[0] + " address type " + reply[3]);
    }
    return reply[1];
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

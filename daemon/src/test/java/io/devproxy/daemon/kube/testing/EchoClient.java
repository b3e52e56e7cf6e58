package io.devproxy.daemon.kube.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The client side of an {@link EchoServer} conversation: a socket with a read timeout, and lines read from it. */
public final class EchoClient {

  private EchoClient() {}

  /** A socket to {@code address} whose reads give up after {@code timeout}. */
  public static Socket connect(InetSocketAddress address, Duration timeout) throws IOException {
    Socket socket = new Socket(address.getAddress(), address.getPort());
    socket.setSoTimeout((int) timeout.toMillis());
    return socket;
  }

  /** The next line (UTF-8, without its {@code \n}). */
  public static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed after '" + line + "'");
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8);
  }
}

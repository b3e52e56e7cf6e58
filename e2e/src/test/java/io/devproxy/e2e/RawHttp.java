package io.devproxy.e2e;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 connection on a plain socket: writes whatever bytes a test gives it (malformed ones included)
 * and parses responses (Content-Length or chunked bodies). Reads time out after 10 s.
 */
public final class RawHttp implements AutoCloseable {

  public record Response(int status, Map<String, String> headers, String body) {
    /** The header's value; names are matched in lower case. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  public static RawHttp connect(InetSocketAddress address) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), address.getPort());
    socket.setSoTimeout(10_000);
    return new RawHttp(socket);
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: agent\r\n\r\n";
  }

  RawHttp write(String text) throws IOException {
    return write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  RawHttp write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Sends {@code request} and reads one response. */
  public Response exchange(String request) throws IOException {
    write(request);
    return readResponse();
  }

  /** Reads one response; the connection stays usable when the server keeps it alive. */
  Response readResponse() throws IOException {
    String statusLine = readLine();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x status line: " + statusLine);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    String line;
    while ((line = readLine()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      while (true) {
        String size = readLine();
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          while ((line = readLine()) != null && !line.isEmpty()) {
            // trailers: ignored
          }
          break;
        }
        body.write(in.readNBytes(n));
        readLine();
      }
    } else if (headers.containsKey("content-length")) {
      body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
    }
    return new Response(Integer.parseInt(parts[1]), headers, body.toString(StandardCharsets.UTF_8));
  }

  /**
   * Waits for the server to close the connection; true when it did (EOF, or a reset because it closed with
   * our bytes unread), false when it sent more bytes instead. Times out (SocketTimeoutException) if it
   * keeps the connection open.
   */
  boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException reset) {
      return true;
    }
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
      }
      line.append((char) c);
    }
    return line.length() == 0 ? null : line.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

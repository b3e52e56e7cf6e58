package io.devproxy.e2e;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** HTTP/2 frames written and read by hand on a plain socket, for callers no client library would be. */
final class RawH2 {

  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int RST_STREAM = 0x3;
  static final int SETTINGS = 0x4;
  static final int PING = 0x6;
  static final int GOAWAY = 0x7;
  static final long NO_ERROR = 0x0;
  static final long PROTOCOL_ERROR = 0x1;
  static final long ENHANCE_YOUR_CALM = 0xb;

  private RawH2() {}

  /** A connection to {@code server} that sent the h2c preface and an empty SETTINGS frame; reads time out in 10 s. */
  static Socket connect(InetSocketAddress server) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getPort());
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(PREFACE);
    out.write(frame(SETTINGS, 0, 0, new byte[0]));
    out.flush();
    return socket;
  }

  static byte[] frame(int type, int flags, int streamId, byte[] payload) {
    ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
    frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
    frame.put((byte) type).put((byte) flags).putInt(streamId).put(payload);
    return frame.array();
  }

  /** Reads frames until a GOAWAY and returns its error code; fails on EOF first. */
  static long readUntilGoAway(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    while (true) {
      int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      in.readUnsignedByte();
      in.readInt();
      byte[] payload = in.readNBytes(length);
      if (payload.length < length) {
        throw new EOFException("connection closed inside a frame");
      }
      if (type == GOAWAY) {
        return ByteBuffer.wrap(payload, 4, 4).getInt() & 0xFFFFFFFFL;
      }
    }
  }

  /** Whether the server has closed (EOF) or reset the connection; false when a read times out with it still open. */
  static boolean closedByServer(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }
}

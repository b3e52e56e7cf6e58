import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * A plain Java client that knows nothing of devproxy, run by `devproxy run -- java ProxiedClient.java MODE HOST PORT`
 * (source-file mode): it takes whatever proxy JAVA_TOOL_OPTIONS configures.
 *
 * <p>MODE socket: a java.net.Socket to the unresolved name (the JVM's SOCKS support, socksProxyHost); MODE url:
 * HttpURLConnection (http.proxyHost). Prints the response body of GET /who.
 */
public class ProxiedClient {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    if (mode.equals("socket")) {
      try (Socket socket = new Socket()) {
        socket.connect(InetSocketAddress.createUnresolved(host, port), 10_000);
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /who HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        socket.getInputStream().transferTo(response);
        String text = response.toString(StandardCharsets.UTF_8);
        System.out.println(text.substring(text.indexOf("\r\n\r\n") + 4));
      }
    } else {
      HttpURLConnection connection = (HttpURLConnection) new URL("http://" + host + ":" + port + "/who").openConnection();
      connection.setConnectTimeout(10_000);
      connection.setReadTimeout(10_000);
      try (InputStream in = connection.getInputStream()) {
        System.out.println(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }
}

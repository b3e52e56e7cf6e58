package io.devproxy.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A container's readiness as a kubelet tracks it: not ready until {@code successThreshold} (default 1) probes in
 * a row succeed, not ready again after {@code failureThreshold} (default 3) in a row fail. httpGet (HTTP only; a
 * 2xx or 3xx status passes) and tcpSocket probes are run, on a port number or a name from the container's ports;
 * each attempt has {@code timeoutSeconds} (default 1). Without a probe the container is ready once it runs.
 *
 * <p>Liberties: the probe runs on every kubelet pass (~200 ms) whatever {@code periodSeconds} says, and
 * {@code initialDelaySeconds} is ignored, so tests do not wait for the 10 s default period. exec and grpc probes are
 * not run: they count as passing. Not thread-safe: the kubelet thread calls it.
 */
final class ReadinessProbe {

  private final Container container;
  private final Probe probe;
  private final String host;
  private int successes;
  private int failures;
  private boolean ready;
  private String lastFailure = "";

  /** @param host where the pod's ports are, e.g. 127.0.0.1 */
  ReadinessProbe(Container container, String host) {
    this.container = container;
    this.probe = container.getReadinessProbe();
    this.host = host;
  }

  /** Runs one probe and returns the readiness it leaves. */
  boolean check() {
    if (probe == null) {
      ready = true;
      return true;
    }
    String failure = attempt();
    if (failure == null) {
      failures = 0;
      successes++;
      if (successes >= threshold(probe.getSuccessThreshold())) {
        ready = true;
      }
    } else {
      lastFailure = failure;
      successes = 0;
      failures++;
      if (failures >= threshold(probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold())) {
        ready = false;
      }
    }
    return ready;
  }

  /** The container stopped: not ready, and the counts start over. */
  void reset() {
    successes = 0;
    failures = 0;
    ready = false;
  }

  boolean ready() {
    return ready;
  }

  /** Why the last failed probe failed, for the stand-in's description. */
  String lastFailure() {
    return lastFailure;
  }

  /** Null on success, else why it failed. */
  private String attempt() {
    int timeoutMillis = 1000 * (probe.getTimeoutSeconds() == null ? 1 : Math.max(1, probe.getTimeoutSeconds()));
    try {
      if (probe.getHttpGet() != null) {
        return httpGet(probe.getHttpGet(), timeoutMillis);
      }
      if (probe.getTcpSocket() != null) {
        try (Socket s = new Socket()) {
          s.connect(address(probe.getTcpSocket().getHost(), probe.getTcpSocket().getPort()), timeoutMillis);
        }
      }
      return null;
    } catch (IOException | IllegalArgumentException e) {
      return e.toString();
    }
  }

  private String httpGet(HTTPGetAction get, int timeoutMillis) throws IOException {
    if (get.getScheme() != null && !get.getScheme().equalsIgnoreCase("HTTP")) {
      return null;
    }
    InetSocketAddress address = address(get.getHost(), get.getPort());
    try (Socket s = new Socket()) {
      s.connect(address, timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      StringBuilder request = new StringBuilder()
          .append("GET ").append(get.getPath() == null || get.getPath().isEmpty() ? "/" : get.getPath())
          .append(" HTTP/1.1\r\nHost: ").append(address.getHostString()).append(':').append(address.getPort())
          .append("\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n");
      if (get.getHttpHeaders() != null) {
        for (HTTPHeader h : get.getHttpHeaders()) {
          request.append(h.getName()).append(": ").append(h.getValue()).append("\r\n");
        }
      }
      OutputStream out = s.getOutputStream();
      out.write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1))
          .readLine();
      String[] parts = status == null ? new String[0] : status.split(" ", 3);
      int code = parts.length < 2 ? -1 : Integer.parseInt(parts[1]);
      return code >= 200 && code < 400 ? null : "HTTP probe failed with statuscode: " + code;
    }
  }

  private InetSocketAddress address(String probeHost, IntOrString port) {
    return new InetSocketAddress(probeHost == null || probeHost.isEmpty() ? host : probeHost, port(port));
  }

  /** The port a probe names: a number, or the name of one of the container's ports. */
  private int port(IntOrString port) {
    if (port == null) {
      throw new IllegalArgumentException("probe without a port");
    }
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    if (container.getPorts() != null) {
      for (ContainerPort p : container.getPorts()) {
        if (port.getStrVal().equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    throw new IllegalArgumentException("probe port " + port.getStrVal() + " is not a port name of container "
        + container.getName());
  }

  private static int threshold(Integer value) {
    return value == null || value < 1 ? 1 : value;
  }
}

package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.TCPSocketAction;
import java.util.stream.Stream;

/** Renames a port name in the places of a container that can refer to it: probes and lifecycle hooks. */
final class ProbePorts {

  private ProbePorts() {}

  /**
   * Points every httpGet/tcpSocket probe and lifecycle hook of {@code c} that names port {@code from} at
   * {@code to}, in place. Numeric ports, and gRPC probes (numeric only), are left alone.
   */
  static void rename(Container c, String from, String to) {
    Stream.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe()).forEach(p -> {
      if (p != null) {
        rename(p, from, to);
      }
    });
    if (c.getLifecycle() != null) {
      rename(c.getLifecycle().getPostStart(), from, to);
      rename(c.getLifecycle().getPreStop(), from, to);
    }
  }

  private static void rename(Probe p, String from, String to) {
    rename(p.getHttpGet(), from, to);
    rename(p.getTcpSocket(), from, to);
  }

  private static void rename(LifecycleHandler h, String from, String to) {
    if (h != null) {
      rename(h.getHttpGet(), from, to);
      rename(h.getTcpSocket(), from, to);
    }
  }

  private static void rename(HTTPGetAction a, String from, String to) {
    if (a != null && a.getPort() != null && from.equals(a.getPort().getStrVal())) {
      a.setPort(new IntOrString(to));
    }
  }

  private static void rename(TCPSocketAction a, String from, String to) {
    if (a != null && a.getPort() != null && from.equals(a.getPort().getStrVal())) {
      a.setPort(new IntOrString(to));
    }
  }
}

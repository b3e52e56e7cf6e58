package io.devproxy.cli;

import static java.util.Objects.requireNonNull;

import io.devproxy.proto.daemon.ForwardInfo;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.ListReply;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.PortInfo;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.ServiceInfo;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.UninstallReply;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything the CLI prints goes through here: results on stdout as a table or JSON, progress and errors
 * on stderr (errors as one line, {@code devproxy: <message>}). Not thread-safe; one per command run.
 */
public final class Renderer {

  private static final String[] INTERCEPT_COLUMNS = {"NAME", "KEY", "AGENT", "LOCAL", "STATE", "REQUESTS", "RTT"};
  private static final String[] SERVICE_COLUMNS = {"NAME", "WORKLOAD", "PORTS", "INTERCEPTED BY"};

  private final PrintWriter out;
  private final PrintWriter err;
  private final OutputFormat format;

  public Renderer(PrintWriter out, PrintWriter err, OutputFormat format) {
    this.out = requireNonNull(out, "out");
    this.err = requireNonNull(err, "err");
    this.format = requireNonNull(format, "format");
  }

  /** The intercept a command just started or updated. */
  public void intercept(InterceptInfo info) {
    if (format == OutputFormat.JSON) {
      println(Json.write(interceptJson(info)));
      return;
    }
    println("intercepting " + info.getName());
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"matcher:", info.getMatcher()});
    rows.add(new String[] {"key:", info.getKey()});
    if (!info.getNamespace().isEmpty()) {
      rows.add(new String[] {"workload:", info.getNamespace() + "/" + info.getWorkload() + " (" + info.getMode() + ")"});
      if (!info.getShadowService().isEmpty()) {
        rows.add(new String[] {"shadow service:", info.getShadowService()});
      }
      if (info.getEdgeRoutesCount() > 0) {
        rows.add(new String[] {"edge routes:", String.join(", ", info.getEdgeRoutesList())});
      }
      for (Preview preview : info.getPreviewsList()) {
        rows.add(new String[] {"preview:", preview.getUrl()});
      }
      rows.add(new String[] {"agents:", info.getAgentsConnected() + "/" + info.getAgents() + " pods connected"
          + (info.getAgentAddress().isEmpty() ? "" : " (" + info.getAgentAddress() + ")")});
    } else {
      rows.add(new String[] {"agent:", info.getAgentAddress()});
    }
    rows.add(new String[] {"local:", "localhost:" + info.getLocalPort() + protocolSuffix(info.getLocalProtocol())});
    for (ForwardInfo forward : info.getForwardsList()) {
      rows.add(new String[] {"forward:", forward(forward)});
    }
    rows.add(new String[] {"state:", info.getState()});
    if (!info.getLastError().isEmpty()) {
      rows.add(new String[] {"last error:", info.getLastError()});
    }
    printColumns(rows, "  ");
    out.flush();
  }

  /** {@code devproxy preview create}: the URL, and what serves it. */
  public void preview(String intercept, Preview preview) {
    if (format == OutputFormat.JSON) {
      println(Json.write(previewJson(intercept, preview)));
      return;
    }
    println("preview of " + intercept + ": " + preview.getUrl());
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"mappings:", String.join(", ", preview.getMappingsList())});
    if (!preview.getHostResource().isEmpty()) {
      rows.add(new String[] {"host:", preview.getHostResource()});
    }
    printColumns(rows, "  ");
    out.flush();
  }

  /** {@code devproxy preview list}: the previews of {@code intercepts}. */
  public void previews(List<InterceptInfo> intercepts) {
    List<Object> all = new ArrayList<>();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"INTERCEPT", "URL", "MAPPINGS"});
    for (InterceptInfo info : intercepts) {
      for (Preview preview : info.getPreviewsList()) {
        all.add(previewJson(info.getName(), preview));
        rows.add(new String[] {info.getName(), preview.getUrl(), String.join(",", preview.getMappingsList())});
      }
    }
    if (format == OutputFormat.JSON) {
      println(Json.write(all));
    } else if (all.isEmpty()) {
      println("no previews");
    } else {
      printColumns(rows, "");
    }
    out.flush();
  }

  /** {@code devproxy uninstall}: what was restored or deleted. */
  public void uninstalled(UninstallReply reply) {
    if (format == OutputFormat.JSON) {
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("namespace", reply.getNamespace());
      root.put("changes", new ArrayList<Object>(reply.getChangesList()));
      println(Json.write(root));
      return;
    }
    if (reply.getChangesCount() == 0) {
      println("nothing of devproxy in namespace " + reply.getNamespace());
      return;
    }
    for (String change : reply.getChangesList()) {
      println(change);
    }
    out.flush();
  }

  private static String protocolSuffix(String protocol) {
    return protocol.isEmpty() ? "" : " (" + protocol + ")";
  }

  /** {@code devproxy status} when the daemon runs. */
  public void status(StatusReply status) {
    if (format == OutputFormat.JSON) {
      Map<String, Object> daemon = new LinkedHashMap<>();
      daemon.put("running", true);
      daemon.put("version", status.getVersion());
      daemon.put("pid", status.getPid());
      daemon.put("home", status.getHome());
      List<Object> intercepts = new ArrayList<>();
      for (InterceptInfo info : status.getInterceptsList()) {
        intercepts.add(interceptJson(info));
      }
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("daemon", daemon);
      root.put("outbound", ProxyEnvironment.outbound(status).map(Renderer::outboundJson).orElse(null));
      root.put("intercepts", intercepts);
      println(Json.write(root));
      return;
    }
    println(
        "daemon: running (version "
            + status.getVersion()
            + ", pid "
            + status.getPid()
            + ", home "
            + status.getHome()
            + ")");
    ProxyEnvironment.outbound(status).ifPresentOrElse(o -> println("outbound proxy: " + outbound(o)), () -> {
      if (!status.getOutbound().getError().isEmpty()) {
        println("outbound proxy: none (" + status.getOutbound().getError() + ")");
      }
    });
    if (status.getInterceptsCount() == 0) {
      println("no intercepts");
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(INTERCEPT_COLUMNS);
    for (InterceptInfo info : status.getInterceptsList()) {
      rows.add(
          new String[] {
            info.getName(),
            info.getKey(),
            agentColumn(info),
            Integer.toString(info.getLocalPort()),
            info.getState(),
            Long.toString(info.getRequests()),
            rtt(info.getTunnelRttMicros())
          });
    }
    printColumns(rows, "");
    for (InterceptInfo info : status.getInterceptsList()) {
      for (ForwardInfo forward : info.getForwardsList()) {
        println(info.getName() + ": forward " + forward(forward));
      }
      if (!info.getLastError().isEmpty()) {
        println(info.getName() + ": last error: " + info.getLastError());
      }
    }
    out.flush();
  }

  /**
   * The daemon's outbound proxy for people: {@code 127.0.0.1:41235 (SOCKS5 and HTTP), dialing via orders (namespace
   * shop)}, or, without an agent, {@code ..., no agent connected: start an intercept}.
   */
  static String outbound(Outbound outbound) {
    return authority(outbound.getHost(), outbound.getPort()) + " (SOCKS5 and HTTP), "
        + (outbound.getVia().isEmpty() ? "no agent connected: start an intercept" : "dialing via " + outbound.getVia());
  }

  /** A forward port for people: {@code 127.0.0.1:15051 → orders.shop:50051}. */
  static String forward(ForwardInfo forward) {
    return "127.0.0.1:" + forward.getLocalPort() + " \u2192 " + authority(forward.getHost(), forward.getPort());
  }

  /** {@code run --forward}: the ports the daemon opened, on stderr (stdout is the command's). */
  public void forwarding(List<ForwardInfo> forwards) {
    forwards.forEach(f -> progress("forwarding " + forward(f)));
  }

  /**
   * The outbound proxy a command is about to run with, on stderr; a warning when no agent is connected to dial (the
   * command runs anyway: an agent may connect while it does).
   */
  public void proxyForCommand(Outbound outbound) {
    String proxy = authority(outbound.getHost(), outbound.getPort());
    if (outbound.getVia().isEmpty()) {
      progress("warning: no agent is connected to dial through the outbound proxy " + proxy + " yet: connections"
          + " through it fail until an intercept's agent connects ('devproxy status' shows it)");
    } else {
      progress("outbound proxy " + proxy + " set in the environment, dialing via " + outbound.getVia());
    }
  }

  private static String authority(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private static Map<String, Object> outboundJson(Outbound outbound) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("host", outbound.getHost());
    json.put("port", outbound.getPort());
    json.put("via", outbound.getVia());
    return json;
  }

  private static Map<String, Object> forwardJson(ForwardInfo forward) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("host", forward.getHost());
    json.put("port", forward.getPort());
    json.put("localPort", forward.getLocalPort());
    return json;
  }

  /**
   * {@code devproxy list}: one row per Service; the Services that cannot be intercepted are marked with
   * {@code *} in WORKLOAD and their reasons follow the table, one a line.
   */
  public void services(ListReply list) {
    if (format == OutputFormat.JSON) {
      List<Object> services = new ArrayList<>();
      for (ServiceInfo svc : list.getServicesList()) {
        services.add(serviceJson(svc));
      }
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("namespace", list.getNamespace());
      root.put("services", services);
      println(Json.write(root));
      return;
    }
    if (list.getServicesCount() == 0) {
      println("no Services in namespace " + list.getNamespace());
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(SERVICE_COLUMNS);
    for (ServiceInfo svc : list.getServicesList()) {
      String workload = svc.getWorkloadKind().isEmpty()
          ? (svc.getWorkloadName().isEmpty() ? "-" : svc.getWorkloadName())
          : svc.getWorkloadKind() + "/" + svc.getWorkloadName();
      if (!svc.getNotInterceptableReason().isEmpty()) {
        workload = workload + " *";
      }
      List<String> ports = new ArrayList<>();
      svc.getPortsList().forEach(p -> ports.add(port(p)));
      rows.add(new String[] {
        svc.getName(),
        workload,
        ports.isEmpty() ? "-" : String.join(", ", ports),
        svc.getInterceptedByCount() == 0 ? "-" : String.join(", ", svc.getInterceptedByList())
      });
    }
    printColumns(rows, "");
    boolean first = true;
    for (ServiceInfo svc : list.getServicesList()) {
      if (!svc.getNotInterceptableReason().isEmpty()) {
        if (first) {
          println("");
          first = false;
        }
        println("* " + svc.getName() + ": not interceptable: " + svc.getNotInterceptableReason());
      }
    }
    out.flush();
  }

  /**
   * A port as {@code list} shows it: {@code 8080→app:http(8080)} (Service port → container:name(port)); only
   * the known parts, e.g. {@code 5432} when no container serves it, {@code app:grpc(50051)} without a
   * Service port.
   */
  static String port(PortInfo p) {
    String target;
    if (p.getContainerPortName().isEmpty()) {
      target = p.getContainerPort() > 0 ? Integer.toString(p.getContainerPort()) : "";
    } else {
      target = p.getContainerPortName() + (p.getContainerPort() > 0 ? "(" + p.getContainerPort() + ")" : "");
    }
    if (!p.getContainer().isEmpty()) {
      target = p.getContainer() + ":" + target;
    }
    if (p.getServicePort() <= 0) {
      return target.isEmpty() ? "-" : target;
    }
    return target.isEmpty() ? Integer.toString(p.getServicePort()) : p.getServicePort() + "\u2192" + target;
  }

  private static Map<String, Object> serviceJson(ServiceInfo svc) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", svc.getName());
    json.put("workloadKind", svc.getWorkloadKind());
    json.put("workloadName", svc.getWorkloadName());
    List<Object> ports = new ArrayList<>();
    for (PortInfo p : svc.getPortsList()) {
      Map<String, Object> port = new LinkedHashMap<>();
      port.put("servicePort", p.getServicePort());
      port.put("servicePortName", p.getServicePortName());
      port.put("container", p.getContainer());
      port.put("containerPort", p.getContainerPort());
      port.put("containerPortName", p.getContainerPortName());
      ports.add(port);
    }
    json.put("ports", ports);
    json.put("interceptable", svc.getNotInterceptableReason().isEmpty());
    json.put("notInterceptableReason", svc.getNotInterceptableReason());
    json.put("interceptedBy", new ArrayList<Object>(svc.getInterceptedByList()));
    return json;
  }

  /** {@code devproxy status} when no daemon runs. */
  public void notRunning(Path home) {
    if (format == OutputFormat.JSON) {
      Map<String, Object> daemon = new LinkedHashMap<>();
      daemon.put("running", false);
      daemon.put("home", home.toString());
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("daemon", daemon);
      root.put("outbound", null);
      root.put("intercepts", List.of());
      println(Json.write(root));
      return;
    }
    println("daemon: not running (home " + home + ")");
  }

  /** Files a command wrote, one a line. */
  public void filesWritten(List<Path> files) {
    filesWritten(files, List.of());
  }

  /** Files a command wrote, one a line, then notes about them, one a line ({@code "notes"} in JSON). */
  public void filesWritten(List<Path> files, List<String> notes) {
    if (format == OutputFormat.JSON) {
      List<Object> paths = new ArrayList<>();
      files.forEach(f -> paths.add(f.toString()));
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("written", paths);
      if (!notes.isEmpty()) {
        root.put("notes", new ArrayList<Object>(notes));
      }
      println(Json.write(root));
      return;
    }
    println("wrote:");
    files.forEach(f -> println("  " + f));
    notes.forEach(this::println);
  }

  /** A one-line result, e.g. {@code left web}. */
  public void message(String line) {
    println(line);
  }

  /** A document printed as it is (e.g. YAML), whatever the output format; ends with a newline. */
  public void text(String document) {
    out.print(document.endsWith("\n") ? document : document + "\n");
    out.flush();
  }

  /** Progress of a long wait, on stderr. */
  public void progress(String line) {
    err.println(line);
    err.flush();
  }

  /** A failure, as the one line the user reads: {@code devproxy: <message>}. */
  public void error(String message) {
    err.println("devproxy: " + message);
    err.flush();
  }

  private void println(String line) {
    out.println(line);
    out.flush();
  }

  private void printColumns(List<String[]> rows, String indent) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** The agent's address, or for a cluster intercept the workload and its connected agent pods. */
  private static String agentColumn(InterceptInfo info) {
    if (info.getNamespace().isEmpty()) {
      return info.getAgentAddress();
    }
    return info.getNamespace() + "/" + info.getWorkload() + " " + info.getAgentsConnected() + "/" + info.getAgents();
  }

  private static Map<String, Object> interceptJson(InterceptInfo info) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", info.getName());
    json.put("sessionId", info.getSessionId());
    json.put("key", info.getKey());
    json.put("agentAddress", info.getAgentAddress());
    json.put("localPort", info.getLocalPort());
    json.put("localProtocol", info.getLocalProtocol());
    json.put("matcher", info.getMatcher());
    json.put("state", info.getState());
    json.put("lastError", info.getLastError());
    json.put("requests", info.getRequests());
    json.put("tunnelRttMicros", info.getTunnelRttMicros());
    List<Object> forwards = new ArrayList<>();
    info.getForwardsList().forEach(f -> forwards.add(forwardJson(f)));
    json.put("forwards", forwards);
    if (!info.getNamespace().isEmpty()) {
      json.put("namespace", info.getNamespace());
      json.put("workload", info.getWorkload());
      json.put("mode", info.getMode());
      json.put("shadowService", info.getShadowService());
      json.put("agents", info.getAgents());
      json.put("agentsConnected", info.getAgentsConnected());
      json.put("edgeRoutes", new ArrayList<Object>(info.getEdgeRoutesList()));
      List<Object> previews = new ArrayList<>();
      for (Preview preview : info.getPreviewsList()) {
        previews.add(previewJson(info.getName(), preview));
      }
      json.put("previews", previews);
    }
    return json;
  }

  private static Map<String, Object> previewJson(String intercept, Preview preview) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("intercept", intercept);
    json.put("host", preview.getHost());
    json.put("url", preview.getUrl());
    json.put("mappings", new ArrayList<Object>(preview.getMappingsList()));
    json.put("hostResource", preview.getHostResource());
    return json;
  }

  /** A heartbeat round trip for people: {@code -} before the first, else milliseconds. */
  static String rtt(long micros) {
    if (micros <= 0) {
      return "-";
    }
    double millis = micros / 1000.0;
    if (millis < 1) {
      return String.format(Locale.ROOT, "%.2fms", millis);
    }
    if (millis < 10) {
      return String.format(Locale.ROOT, "%.1fms", millis);
    }
    return Math.round(millis) + "ms";
  }
}

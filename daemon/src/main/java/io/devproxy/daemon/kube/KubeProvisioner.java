package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.DaemonConfig;
import io.devproxy.daemon.ambassador.EdgeRoutes;
import io.devproxy.daemon.ambassador.AmbassadorApi;
import io.devproxy.daemon.ambassador.PreviewRoutes;
import io.devproxy.daemon.ambassador.Previews;
import io.devproxy.daemon.control.ServiceLister.ClientFactory;
import io.devproxy.daemon.tunnel.AgentSource;
import io.devproxy.daemon.tunnel.Provisioner;
import io.devproxy.proto.daemon.ClusterBinding;
import io.devproxy.proto.daemon.CreatePreviewRequest;
import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.GetEnvReply;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.Preview;
import io.devproxy.proto.daemon.UninstallReply;
import io.devproxy.proto.daemon.UninstallRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.pki.UserPki;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Intercepts in a Kubernetes cluster: resolves the Service to its workload and port, takes a session Lease,
 * makes sure the agent's TLS Secret trusts this developer, injects the agent (sidecar, swap or shadow), waits
 * for the rollout, and hands out the agent pods behind port-forwards. {@code leave} undoes it: the last
 * developer on a workload restores it; the others only take their CA out of the Secret.
 *
 * <p>Expired Leases (a laptop that vanished) are collected in every namespace this daemon works in, before it
 * changes anything there: a workload no live session uses any more is restored.
 *
 * <p>Thread-safe. Owns one client per set of kube options, a scheduler and the Lease keepers.
 */
public final class KubeProvisioner implements Provisioner {

  private static final Logger logger = Logger.getLogger(KubeProvisioner.class.getName());

  private final UserPki pki;
  private final DaemonConfig config;
  private final ClientFactory clientFactory;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final Map<io.devproxy.proto.daemon.KubeOptions, Cluster> clusters = new HashMap<>();
  private boolean closed;

  /** One cluster connection: its client, Leases and their keeper. */
  private record Cluster(KubernetesClient client, SessionLeases leases, LeaseKeeper keeper) {}

  public KubeProvisioner(UserPki pki, DaemonConfig config, ClientFactory clientFactory, Clock clock) {
    this.pki = requireNonNull(pki, "pki");
    this.config = requireNonNull(config, "config");
    this.clientFactory = requireNonNull(clientFactory, "clientFactory");
    this.clock = requireNonNull(clock, "clock");
    // Lease renewals and every intercept's pod resyncs (each runs one at a time on its own) share these threads;
    // more than one, so a slow API call for one intercept does not hold up the others.
    this.executor = Executors.newScheduledThreadPool(4, r -> {
      Thread t = new Thread(r, "devproxy-kube");
      t.setDaemon(true);
      return t;
    });
  }

  private synchronized Cluster cluster(io.devproxy.proto.daemon.KubeOptions options) throws DevproxyException {
    if (closed) {
      throw new DevproxyException(ErrorCategory.INTERNAL, "the daemon is shutting down; run the command again");
    }
    Cluster cluster = clusters.get(options);
    if (cluster == null) {
      KubernetesClient client = clientFactory.open(KubeOptions.fromWire(options));
      SessionLeases leases = new SessionLeases(client, clock, config.lease());
      LeaseKeeper keeper = new LeaseKeeper(leases, executor);
      keeper.start();
      cluster = new Cluster(client, leases, keeper);
      clusters.put(options, cluster);
    }
    return cluster;
  }

  private static String namespaceOf(KubernetesClient client) {
    return client.getNamespace() != null ? client.getNamespace() : KubeClients.DEFAULT_NAMESPACE;
  }

  @Override
  public String namespace(io.devproxy.proto.daemon.KubeOptions kube) throws DevproxyException {
    return namespaceOf(cluster(kube).client());
  }

  @Override
  public Provisioned provision(InterceptRequest request, String sessionId, String owner, Consumer<String> progress)
      throws DevproxyException, InterruptedException {
    Cluster cluster = cluster(request.getKube());
    KubernetesClient client = cluster.client();
    String namespace = namespaceOf(client);
    InterceptMode mode = InterceptMode.parse(request.getMode());
    collectExpired(cluster, namespace);

    InterceptTarget target = new TargetResolver(client).resolve(namespace, request.getName(),
        emptyToNull(request.getRemotePort()), emptyToNull(request.getContainer()));
    String previewHost = request.getPreview() || !request.getPreviewHost().isEmpty()
        ? previewHost(request.getPreviewHost(), "", request.getKey(), target.service()) : null;
    if (previewHost != null) {
      Previews.requireAmbassador(client, namespace); // before anything changes, not after the rollout
    }
    String agentWorkload = AgentInstaller.agentWorkloadName(mode, target, request.getKey());
    AgentSpec agent = AgentSpec.of(config,
        request.getAgentImage().isEmpty() ? config.agentImage() : request.getAgentImage(), agentWorkload);
    AgentInstaller installer = new AgentInstaller(client);
    progress.accept("service " + target.service() + " → " + kindName(target.workloadKind(), target.workloadName())
        + ", container " + target.container() + " port " + target.containerPort() + " (" + mode.id() + " mode)");

    Lease lease = cluster.leases().acquire(namespace, sessionId, owner, agentKind(mode, target), agentWorkload,
        request.getName());
    String leaseName = lease.getMetadata().getName();
    boolean secretWritten = false;
    AgentInstaller.Installed installed = null;
    EdgeRoutes.Created edgeRoutes = null;
    Preview preview = null;
    try {
      new AgentTlsSecrets(client, pki).ensure(namespace, agent.tlsSecretName(), List.of());
      secretWritten = true;
      installed = installer.install(mode, target, agent, request.getKey(), sessionId);
      String where = kindName(installed.agentWorkloadKind(), installed.agentWorkloadName());
      progress.accept(installed.reused() ? "the agent is already in " + where + "; reusing it"
          : (mode == InterceptMode.SHADOW ? "created " + where + " and service " + installed.shadowService()
              : "injected the agent into " + where) + "; waiting for the rollout");
      Duration timeout = request.getTimeoutSeconds() > 0 ? Duration.ofSeconds(request.getTimeoutSeconds())
          : config.rolloutTimeout();
      new RolloutWatch(client).await(namespace, installed.agentWorkloadKind(), installed.agentWorkloadName(), timeout,
          progress);
      // Edge routes last: they send the developer's edge traffic to an agent that is ready by now.
      EdgeRoutes.Created routes = new EdgeRoutes.Created(null, List.of());
      if (mode == InterceptMode.SHADOW || request.getAmbassador()) {
        routes = new EdgeRoutes(client).create(namespace, target.service(), target.servicePort(), request.getKey(),
            sessionId, mode == InterceptMode.SHADOW ? installed.shadowService() : null);
        edgeRoutes = routes;
        progress.accept(routes.api() == null
            ? "no Ambassador Mapping CRDs in the cluster: no edge routes (the intercept works without them)"
            : routes.clones().isEmpty() ? "no Ambassador Mapping routes to service " + target.service()
                + ": no edge routes"
            : "Ambassador header routes: " + String.join(", ", routes.clones()));
      }
      ClusterBinding.Builder binding = ClusterBinding.newBuilder()
          .setNamespace(namespace)
          .setService(target.service())
          .setWorkloadKind(installed.agentWorkloadKind())
          .setWorkloadName(installed.agentWorkloadName())
          .setMode(mode.id())
          .setLeaseName(leaseName)
          .setTlsSecret(agent.tlsSecretName())
          .setAgentTunnelPort(agent.tunnelPort())
          .setTargetKind(target.workloadKind())
          .setTargetName(target.workloadName())
          .setShadowService(installed.shadowService() == null ? "" : installed.shadowService())
          .setMappingApiVersion(routes.api() == null ? "" : routes.api().apiVersion())
          .addAllMappingClones(routes.clones())
          .setServicePort(target.servicePort() == null ? 0 : target.servicePort())
          .setTargetPort(target.containerPort())
          .setContainer(target.container());
      if (previewHost != null) {
        preview = new Previews(client).create(previewRequest(binding.build(), request.getKey(), sessionId,
            previewHost, null));
        progress.accept("preview URL: " + preview.getUrl());
        binding.addPreviews(preview);
      }
      cluster.keeper().add(namespace, leaseName);
      return new KubeIntercept(request.getKube(), binding.build(), sessionId, request.getKey());
    } catch (DevproxyException | RuntimeException | InterruptedException e) {
      boolean interrupted = Thread.interrupted();
      if (preview != null) {
        try {
          new Previews(client).delete(namespace, preview);
        } catch (DevproxyException | RuntimeException deleteFailed) {
          logger.log(Level.WARNING, "could not delete the preview " + preview.getMappingsList() + ": "
              + deleteFailed.getMessage());
        }
      }
      if (edgeRoutes != null && edgeRoutes.api() != null) {
        try {
          new EdgeRoutes(client).delete(namespace, edgeRoutes.api(), edgeRoutes.clones());
        } catch (DevproxyException | RuntimeException deleteFailed) {
          logger.log(Level.WARNING, "could not delete the header routes " + edgeRoutes.clones() + ": "
              + deleteFailed.getMessage());
        }
      }
      undo(cluster, namespace, installed != null && !installed.reused() ? installed : null, target, leaseName,
          agentKind(mode, target) + "/" + agentWorkload, agent.tlsSecretName(), secretWritten);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /**
   * {@code host} when given, else {@code <key>-<service>.<domain>} with {@code domain}, else the configured
   * {@code previewDomain}.
   *
   * @throws DevproxyException USER when the host is malformed or no domain is known
   */
  private String previewHost(String host, String domain, String key, String service) throws DevproxyException {
    if (!host.isEmpty()) {
      return PreviewRoutes.checkHost(host, "--host");
    }
    String d = domain.isEmpty() ? config.previewDomain() : domain;
    if (d.isEmpty()) {
      throw new DevproxyException(ErrorCategory.USER, "no preview domain: pass --host HOST or --domain DOMAIN, or set"
          + " previewDomain in $DEVPROXY_HOME/config.properties");
    }
    return PreviewRoutes.defaultHost(key, service, d);
  }

  /** A preview of what {@code binding} intercepts, for {@code host}. */
  private static Previews.Request previewRequest(ClusterBinding binding, String key, String sessionId, String host,
      String tlsSecret) {
    return new Previews.Request(binding.getNamespace(), binding.getService(),
        binding.getServicePort() == 0 ? null : binding.getServicePort(), binding.getTargetPort(), key, sessionId,
        emptyToNull(binding.getShadowService()), host, tlsSecret);
  }

  private static String agentKind(InterceptMode mode, InterceptTarget target) {
    return mode == InterceptMode.SHADOW ? "Deployment" : target.workloadKind();
  }

  /**
   * Undoes a failed provisioning. The agent comes out only if this session put it in and no other live session
   * uses it.
   *
   * @param installed what this session wrote; null when it wrote nothing (or reused the agent)
   */
  private void undo(Cluster cluster, String namespace, AgentInstaller.Installed installed, InterceptTarget target,
      String leaseName, String agentWorkload, String secret, boolean secretWritten) {
    try {
      if (installed != null && othersOn(cluster, namespace, leaseName, agentWorkload).isEmpty()) {
        new AgentInstaller(cluster.client()).uninstall(installed);
      }
      if (secretWritten) {
        new AgentTlsSecrets(cluster.client(), pki).removeCa(namespace, secret);
      }
      cluster.leases().release(namespace, leaseName);
    } catch (DevproxyException | RuntimeException e) {
      logger.log(Level.WARNING, "[" + namespace + "/" + target.service() + "] could not undo the failed intercept: "
          + e.getMessage() + " (run 'devproxy uninstall " + target.service() + " -n " + namespace + "')");
    }
  }

  static String kindName(String kind, String name) {
    return kind.toLowerCase(Locale.ROOT) + "/" + name;
  }

  /** The live Leases of other sessions on {@code workload} ({@code Kind/name}). */
  private List<Lease> othersOn(Cluster cluster, String namespace, String ownLease, String workload)
      throws DevproxyException {
    List<Lease> others = new ArrayList<>();
    for (Lease lease : cluster.leases().all(namespace)) {
      if (!lease.getMetadata().getName().equals(ownLease)
          && workload.equals(Metadata.annotation(lease, SessionLeases.WORKLOAD_ANNOTATION))
          && !cluster.leases().isExpired(lease)) {
        others.add(lease);
      }
    }
    return others;
  }


  /**
   * Cleans up after sessions whose Lease expired: restores each workload no live session uses any more, then
   * deletes the Lease. Failures are logged: they must not stop a developer's own intercept.
   */
  void collectExpired(Cluster cluster, String namespace) {
    List<Lease> expired;
    try {
      expired = cluster.leases().expired(namespace);
    } catch (DevproxyException e) {
      logger.log(Level.FINE, "cannot list expired Leases in " + namespace + ": " + e.getMessage());
      return;
    }
    for (Lease lease : expired) {
      String name = lease.getMetadata().getName();
      String workload = Metadata.annotation(lease, SessionLeases.WORKLOAD_ANNOTATION);
      try {
        String sessionId = Metadata.label(lease, SessionLeases.SESSION_LABEL);
        List<String> changes = new ArrayList<>();
        for (String route : new EdgeRoutes(cluster.client()).deleteLabelled(namespace, sessionId)) {
          changes.add("deleted " + route);
        }
        if (workload != null && workload.contains("/")) {
          String workloadName = workload.substring(workload.indexOf('/') + 1);
          boolean last = othersOn(cluster, namespace, name, workload).isEmpty();
          changes.addAll(new AgentInstaller(cluster.client()).collect(namespace,
              workload.substring(0, workload.indexOf('/')), workloadName, sessionId, last));
          if (last && KubeCalls.call("delete", "secrets", namespace, () -> cluster.client().secrets()
              .inNamespace(namespace).withName(AgentSpec.tlsSecretName(workloadName)).delete()).size() > 0) {
            changes.add("deleted secret/" + AgentSpec.tlsSecretName(workloadName));
          }
        }
        cluster.leases().release(namespace, name);
        String done = changes.isEmpty() ? "nothing to restore" : String.join(", ", changes);
        logger.info(() -> "[" + namespace + "] session Lease " + name + " of " + lease.getSpec().getHolderIdentity()
            + " expired: " + done);
      } catch (DevproxyException | RuntimeException e) {
        logger.log(Level.WARNING, "[" + namespace + "] cannot clean up after the expired Lease " + name + ": "
            + e.getMessage());
      }
    }
  }

  @Override
  public Provisioned resume(InterceptRequest request, String sessionId, String owner, ClusterBinding binding)
      throws DevproxyException {
    Cluster cluster = cluster(request.getKube());
    String namespace = binding.getNamespace();
    if (!new AgentInstaller(cluster.client()).hasAgent(namespace, binding.getWorkloadKind(),
        binding.getWorkloadName())) {
      throw new DevproxyException(ErrorCategory.CLUSTER, kindName(binding.getWorkloadKind(), binding.getWorkloadName())
          + " in namespace " + namespace + " no longer runs the agent (the session's Lease expired and it was"
          + " cleaned up); run 'devproxy intercept " + request.getName() + "' again");
    }
    cluster.leases().acquire(namespace, sessionId, owner, binding.getWorkloadKind(), binding.getWorkloadName(),
        request.getName());
    cluster.keeper().add(namespace, binding.getLeaseName());
    collectExpired(cluster, namespace);
    return new KubeIntercept(request.getKube(), binding, sessionId, request.getKey());
  }

  /** One intercept's hold on the cluster. */
  private final class KubeIntercept implements Provisioned {
    private final io.devproxy.proto.daemon.KubeOptions options;
    private final String sessionId;
    private final String key;
    /** Replaced as previews come and go; guarded by {@code this}. */
    private ClusterBinding binding;
    private boolean released;

    KubeIntercept(io.devproxy.proto.daemon.KubeOptions options, ClusterBinding binding, String sessionId, String key) {
      this.options = options;
      this.binding = binding;
      this.sessionId = sessionId;
      this.key = key;
    }

    @Override
    public synchronized ClusterBinding binding() {
      return binding;
    }

    @Override
    public Preview createPreview(CreatePreviewRequest request) throws DevproxyException {
      ClusterBinding b = binding();
      String host = previewHost(request.getHost(), request.getDomain(), key, b.getService());
      for (Preview existing : b.getPreviewsList()) {
        if (existing.getHost().equals(host)) {
          return existing;
        }
      }
      Cluster cluster = cluster(options);
      Preview preview = new Previews(cluster.client()).create(previewRequest(b, key, sessionId, host,
          emptyToNull(request.getTlsSecret())));
      synchronized (this) {
        if (!released) {
          binding = binding.toBuilder().addPreviews(preview).build();
          return preview;
        }
      }
      new Previews(cluster.client()).delete(b.getNamespace(), preview); // left while the preview was made
      throw new DevproxyException(ErrorCategory.USER, "intercept '" + b.getService() + "' ended while the preview"
          + " was created; nothing was left behind");
    }

    @Override
    public GetEnvReply env() throws DevproxyException {
      ClusterBinding b = binding();
      String namespace = b.getNamespace();
      String workload = kindName(b.getTargetKind(), b.getTargetName());
      if (b.getContainer().isEmpty()) {
        throw new DevproxyException(ErrorCategory.USER, "intercept '" + b.getService() + "' was started by an older"
            + " daemon that did not record its container; leave and intercept again to import its environment");
      }
      KubernetesClient client = cluster(options).client();
      Workload target = Workloads.list(client, namespace).stream()
          .filter(w -> w.kind().equals(b.getTargetKind()) && w.name().equals(b.getTargetName()))
          .findFirst().orElseThrow(() -> new DevproxyException(ErrorCategory.CLUSTER, workload + " is gone from"
              + " namespace " + namespace + "; run 'devproxy leave " + b.getService() + "'"));
      Pod pod = KubeCalls.call("list", "pods", namespace, () -> client.pods().inNamespace(namespace)
              .withLabels(target.templateLabels()).list().getItems()).stream()
          .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
          .min(Comparator.comparing(p -> p.getMetadata().getName())).orElse(null);
      ResolvedEnv env = new EnvResolver(client).resolve(namespace, target.podSpec(),
          target.templateLabels(), Map.of(), b.getContainer(), pod);
      GetEnvReply.Builder reply = GetEnvReply.newBuilder()
          .setSource(workload + " container " + b.getContainer()
              + (pod == null ? " (no running pod)" : " (pod " + pod.getMetadata().getName() + ")"))
          .addAllWarnings(env.warnings());
      env.variables().forEach((name, value) -> reply.addVariables(EnvVar.newBuilder().setName(name).setValue(value)));
      return reply.build();
    }

    @Override
    public List<String> deletePreviews(String host) throws DevproxyException {
      ClusterBinding b = binding();
      List<Preview> gone = b.getPreviewsList().stream()
          .filter(p -> host.isEmpty() || p.getHost().equalsIgnoreCase(host)).toList();
      if (gone.isEmpty()) {
        throw new DevproxyException(ErrorCategory.USER, host.isEmpty()
            ? "intercept '" + b.getService() + "' has no previews"
            : "intercept '" + b.getService() + "' has no preview for " + host + "; 'devproxy preview list' shows them");
      }
      Previews previews = new Previews(cluster(options).client());
      List<String> hosts = new ArrayList<>();
      for (Preview preview : gone) {
        previews.delete(b.getNamespace(), preview);
        hosts.add(preview.getHost());
        synchronized (this) {
          List<Preview> left = new ArrayList<>(binding.getPreviewsList());
          left.removeIf(p -> p.getHost().equals(preview.getHost()));
          binding = binding.toBuilder().clearPreviews().addAllPreviews(left).build();
        }
      }
      return hosts;
    }

    @Override
    public AgentSource agents() {
      return new PodSource(options, binding);
    }

    @Override
    public void describe(InterceptInfo.Builder info) {
      ClusterBinding binding = binding();
      info.addAllPreviews(binding.getPreviewsList()).setNamespace(binding.getNamespace())
          .setWorkload(kindName(binding.getTargetKind(), binding.getTargetName()))
          .setMode(binding.getMode())
          .setShadowService(binding.getShadowService())
          .addAllEdgeRoutes(binding.getMappingClonesList());
    }

    @Override
    public void release() throws DevproxyException {
      synchronized (this) {
        if (released) {
          return;
        }
        released = true;
      }
      ClusterBinding binding = binding();
      Cluster cluster = cluster(options);
      String namespace = binding.getNamespace();
      cluster.keeper().remove(namespace, binding.getLeaseName());
      for (Preview preview : binding.getPreviewsList()) {
        new Previews(cluster.client()).delete(namespace, preview);
      }
      if (!binding.getMappingClonesList().isEmpty()) {
        new EdgeRoutes(cluster.client()).delete(namespace, AmbassadorApi.of(binding.getMappingApiVersion()),
            binding.getMappingClonesList());
      }
      InterceptMode mode = InterceptMode.parse(binding.getMode());
      List<Lease> others = othersOn(cluster, namespace, binding.getLeaseName(),
          binding.getWorkloadKind() + "/" + binding.getWorkloadName());
      if (others.isEmpty() || mode != InterceptMode.SIDECAR) {
        new AgentInstaller(cluster.client()).uninstall(mode, namespace, binding.getTargetKind(),
            binding.getTargetName(), binding.getWorkloadName(), binding.getShadowService(), sessionId);
      } else {
        logger.info(() -> "[" + namespace + "/" + binding.getWorkloadName() + "] " + others.size()
            + " other session(s) still use the agent; leaving it in");
      }
      new AgentTlsSecrets(cluster.client(), pki).removeCa(namespace, binding.getTlsSecret());
      cluster.leases().release(namespace, binding.getLeaseName());
    }
  }

  /** The agent pods of a binding's workload, each behind a port-forward. */
  private final class PodSource implements AgentSource {
    private final io.devproxy.proto.daemon.KubeOptions options;
    private final ClusterBinding binding;
    private AgentPods pods;
    private boolean closed;

    PodSource(io.devproxy.proto.daemon.KubeOptions options, ClusterBinding binding) {
      this.options = options;
      this.binding = binding;
    }

    @Override
    public void start(Listener listener) throws DevproxyException {
      Cluster cluster = cluster(options);
      Map<String, String> selector = selector(cluster.client(), binding);
      AgentPods created;
      synchronized (this) {
        if (closed) {
          return;
        }
        created = new AgentPods(cluster.client(), binding.getNamespace(), selector, binding.getAgentTunnelPort(),
            listener, executor);
        pods = created;
      }
      created.start();
    }

    @Override
    public void close() {
      AgentPods current;
      synchronized (this) {
        closed = true;
        current = pods;
      }
      if (current != null) {
        current.close();
      }
    }
  }

  /** The pod selector of the workload whose pods run the agent. */
  private static Map<String, String> selector(KubernetesClient client, ClusterBinding binding)
      throws DevproxyException {
    String ns = binding.getNamespace();
    String name = binding.getWorkloadName();
    LabelSelector selector = switch (binding.getWorkloadKind()) {
      case "Deployment" -> KubeCalls.call("get", "deployments.apps", ns, () -> {
        var d = client.apps().deployments().inNamespace(ns).withName(name).get();
        return d == null ? null : d.getSpec().getSelector();
      });
      case "StatefulSet" -> KubeCalls.call("get", "statefulsets.apps", ns, () -> {
        var s = client.apps().statefulSets().inNamespace(ns).withName(name).get();
        return s == null ? null : s.getSpec().getSelector();
      });
      default -> KubeCalls.call("get", "replicasets.apps", ns, () -> {
        var r = client.apps().replicaSets().inNamespace(ns).withName(name).get();
        return r == null ? null : r.getSpec().getSelector();
      });
    };
    if (selector == null || selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty()) {
      throw new DevproxyException(ErrorCategory.CLUSTER, kindName(binding.getWorkloadKind(), name) + " in namespace "
          + ns + " is gone or has no matchLabels selector; run the intercept again");
    }
    return selector.getMatchLabels();
  }

  @Override
  public UninstallReply uninstall(UninstallRequest request) throws DevproxyException {
    Cluster cluster = cluster(request.getKube());
    String namespace = namespaceOf(cluster.client());
    List<String> changes = new NamespaceCleanup(cluster.client()).uninstall(namespace,
        request.getAll() ? null : request.getName());
    return UninstallReply.newBuilder().setNamespace(namespace).addAllChanges(changes).build();
  }

  @Override
  public void close() {
    List<Cluster> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(clusters.values());
      clusters.clear();
    }
    for (Cluster cluster : all) {
      cluster.keeper().close();
      cluster.client().close();
    }
    executor.shutdownNow();
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}

package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.function.UnaryOperator;

/**
 * The reads and guarded writes the installers share. Updates carry the resourceVersion that was read, so a
 * concurrent change fails with {@link Conflict} (409) instead of being overwritten. Thread-safe; does not own the
 * client.
 */
final class WorkloadWrites {

  private final KubernetesClient client;

  WorkloadWrites(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /** The workload; null when it does not exist. Needs get on the kind's resource. */
  HasMetadata get(Kind kind, String ns, String name) throws DevproxyException {
    return KubeCalls.call("get", kind.resource, ns, () -> kind == Kind.DEPLOYMENT
        ? client.apps().deployments().inNamespace(ns).withName(name).get()
        : client.apps().statefulSets().inNamespace(ns).withName(name).get());
  }

  /** The Service; null when it does not exist. Needs get on services. */
  Service service(String ns, String name) throws DevproxyException {
    return KubeCalls.call("get", "services", ns, () -> client.services().inNamespace(ns).withName(name).get());
  }

  /** An update carrying the object's resourceVersion; {@link Conflict} on 409. */
  void update(HasMetadata object, String resource, String ns) throws DevproxyException {
    try {
      client.resource(object).inNamespace(ns).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        throw new Conflict(e);
      }
      throw KubeCalls.translate(e, "update", resource, ns);
    }
  }

  /**
   * Reads, restores and writes an object that carries a restore record, reading once more after a 409. Nothing
   * to do if it is gone or carries no record.
   */
  <T extends HasMetadata> void restoreRetryingConflict(String resource, String ns, Read<T> read,
      UnaryOperator<T> restore) throws DevproxyException {
    for (int attempt = 0; ; attempt++) {
      T fresh = read.get();
      if (fresh == null || !SidecarInjection.isInjected(fresh)) {
        return;
      }
      try {
        update(restore.apply(fresh), resource, ns);
        return;
      } catch (Conflict c) {
        if (attempt > 0) {
          throw new DevproxyException(ErrorCategory.CLUSTER, resource + " '" + fresh.getMetadata().getName()
              + "' in namespace '" + ns + "' kept changing while devproxy restored it; run 'devproxy uninstall' again",
              c.getCause());
        }
      }
    }
  }

  /** Restores a workload from its restore record (sidecar and swap record it the same way), retrying a 409. */
  void restoreWorkload(Kind kind, String ns, String name) throws DevproxyException {
    restoreRetryingConflict(kind.resource, ns, () -> get(kind, ns, name), kind::restore);
  }

  /** A read that may fail with a translated API error. */
  @FunctionalInterface
  interface Read<T> {
    T get() throws DevproxyException;
  }

  /** A 409 from an update: someone else changed the object since it was read. */
  static final class Conflict extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Conflict(KubernetesClientException cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  /** The workload kinds sidecar and swap mode patch. */
  enum Kind {
    DEPLOYMENT(Workload.DEPLOYMENT, "deployments.apps"),
    STATEFUL_SET(Workload.STATEFUL_SET, "statefulsets.apps");

    final String name;
    final String resource;

    Kind(String name, String resource) {
      this.name = name;
      this.resource = resource;
    }

    /** @throws DevproxyException USER naming {@code mode} when {@code kind} is neither */
    static Kind of(String kind, InterceptMode mode) throws DevproxyException {
      requireNonNull(kind, "workloadKind");
      for (Kind k : values()) {
        if (k.name.equals(kind)) {
          return k;
        }
      }
      throw new DevproxyException(ErrorCategory.USER, mode.id() + " mode supports Deployments and StatefulSets, not "
          + kind + "; intercept the Deployment or StatefulSet that owns its pods");
    }

    HasMetadata restore(HasMetadata patched) {
      return this == DEPLOYMENT
          ? SidecarInjection.restore((Deployment) patched)
          : SidecarInjection.restore((StatefulSet) patched);
    }
  }
}

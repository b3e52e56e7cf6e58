package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Creates a {@link ShadowInjection} plan in the cluster, and deletes it again.
 *
 * <p>Order: the Deployment first, then the Service, so the Service never exists without pods behind it; when the
 * Service cannot be created the Deployment this call created is deleted again. A name that is taken (409 on
 * create) is reused when it holds this session's shadow of the same Deployment, and refused otherwise; nothing
 * devproxy did not label as a shadow is ever deleted. Deletes are not guarded by resourceVersion: the Deployment
 * controller writes the status (and so the version) at any time; ownership is checked on the labels and
 * annotations read just before. Does not wait for the rollout and does not create the TLS Secret (name it after
 * {@link ShadowInjection.Names#deployment()}).
 *
 * <p>RBAC in the namespace: get on {@code deployments.apps}; list on {@code services}; create and delete on
 * {@code deployments.apps} and {@code services}; list on both to collect a session's leftovers. Thread-safe. Does
 * not own the client: whoever passed it in closes it.
 */
public final class ShadowInstaller {

  private static final Logger log = Logger.getLogger(ShadowInstaller.class.getName());

  private final KubernetesClient client;

  public ShadowInstaller(KubernetesClient client) {
    this.client = requireNonNull(client, "client");
  }

  /**
   * What {@link #install} left in the cluster.
   *
   * @param deployment the shadow Deployment, whose pods run the agent
   * @param service the shadow Service, selecting only those pods
   * @param reused whether both already existed for this session, so nothing was written
   * @param agentPort the in-pod port the agent serves the intercepted port on (the container port)
   */
  public record Installed(InterceptTarget target, String deployment, String service, boolean reused,
      int agentPort) {}

  /**
   * Creates the shadow Deployment and Service.
   *
   * @param key the developer's session key, part of both names
   * @param sessionId recorded on both objects; may be null
   * @throws DevproxyException USER when the target is not a Deployment, the originals are gone, the copy cannot
   *     be planned, or a name is taken by something else; CLUSTER when the API refuses (the message says whether
   *     the shadow Deployment was deleted again)
   */
  public Installed install(InterceptTarget target, AgentSpec agent, String key, String sessionId)
      throws DevproxyException {
    requireNonNull(target, "target");
    requireNonNull(agent, "agent");
    ShadowInjection.checkDeployment(target);
    String ns = target.namespace();
    Deployment original = KubeCalls.call("get", "deployments.apps", ns,
        () -> client.apps().deployments().inNamespace(ns).withName(target.workloadName()).get());
    if (original == null) {
      throw new DevproxyException(ErrorCategory.USER, "Deployment '" + target.workloadName() + "' not found in"
          + " namespace '" + ns + "' any more; run the intercept again");
    }
    List<Service> services = KubeCalls.call("list", "services", ns,
        () -> client.services().inNamespace(ns).list().getItems());
    Service service = services.stream().filter(s -> target.service().equals(s.getMetadata().getName()))
        .findFirst().orElse(null);
    if (service == null) {
      throw new DevproxyException(ErrorCategory.USER, "service '" + target.service() + "' not found in namespace '"
          + ns + "' any more; run the intercept again");
    }
    ShadowInjection.Plan plan = ShadowInjection.plan(original, service, services, target, agent, key, sessionId);
    String deploymentName = plan.deployment().getMetadata().getName();
    String serviceName = plan.service().getMetadata().getName();

    boolean createdDeployment = create(plan.deployment(), "deployments.apps", target, sessionId);
    boolean createdService;
    try {
      createdService = create(plan.service(), "services", target, sessionId);
    } catch (DevproxyException e) {
      throw createdDeployment ? rollback(ns, deploymentName, e) : e;
    }
    boolean reused = !createdDeployment && !createdService;
    log.info(() -> target.logPrefix() + (reused ? " reusing" : " created") + " shadow Deployment '" + deploymentName
        + "' and Service '" + serviceName + "'");
    return new Installed(target, deploymentName, serviceName, reused, target.containerPort());
  }

  /**
   * Deletes the shadow Service, then the shadow Deployment. Idempotent: a name that is gone is fine; an object
   * of that name that is not a devproxy shadow is left alone (and logged).
   *
   * @throws DevproxyException CLUSTER when the API refuses a read or delete
   */
  public void uninstall(String namespace, String deployment, String service) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    if (service != null) {
      delete(KubeCalls.call("get", "services", namespace,
          () -> client.services().inNamespace(namespace).withName(service).get()), "services", namespace);
    }
    if (deployment != null) {
      delete(KubeCalls.call("get", "deployments.apps", namespace,
          () -> client.apps().deployments().inNamespace(namespace).withName(deployment).get()),
          "deployments.apps", namespace);
    }
  }

  /**
   * Deletes every shadow Service and Deployment annotated with {@code sessionId}, for the cleanup after a session
   * ended without {@code leave}. Needs list on services and deployments.apps.
   *
   * @return how many objects were deleted
   */
  public int uninstallSession(String namespace, String sessionId) throws DevproxyException {
    requireNonNull(namespace, "namespace");
    requireNonNull(sessionId, "sessionId");
    int deleted = 0;
    List<Service> services = KubeCalls.call("list", "services", namespace, () -> client.services()
        .inNamespace(namespace).withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY)
        .withLabel(ShadowInjection.SHADOW_LABEL).list().getItems());
    for (Service s : services) {
      if (sessionId.equals(ShadowInjection.session(s)) && delete(s, "services", namespace)) {
        deleted++;
      }
    }
    List<Deployment> deployments = KubeCalls.call("list", "deployments.apps", namespace, () -> client.apps()
        .deployments().inNamespace(namespace).withLabel(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY)
        .withLabel(ShadowInjection.SHADOW_LABEL).list().getItems());
    for (Deployment d : deployments) {
      if (sessionId.equals(ShadowInjection.session(d)) && delete(d, "deployments.apps", namespace)) {
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * Creates {@code object}; on 409 reads what holds the name and accepts it when it is this session's shadow of
   * the same original.
   *
   * @return whether this call created it
   * @throws DevproxyException USER when the name is taken by anything else
   */
  private boolean create(HasMetadata object, String resource, InterceptTarget target, String sessionId)
      throws DevproxyException {
    String ns = target.namespace();
    String name = object.getMetadata().getName();
    try {
      client.resource(object).inNamespace(ns).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw KubeCalls.translate(e, "create", resource, ns);
      }
    }
    HasMetadata existing = KubeCalls.call("get", resource, ns, () -> resource.equals("services")
        ? client.services().inNamespace(ns).withName(name).get()
        : client.apps().deployments().inNamespace(ns).withName(name).get());
    if (existing != null && ShadowInjection.isShadow(existing)
        && target.workloadName().equals(existing.getMetadata().getAnnotations().get(ShadowInjection.SHADOW_OF))
        && Objects.equals(sessionId, ShadowInjection.session(existing))) {
      return false;
    }
    String holder = existing == null ? "something that was deleted meanwhile"
        : ShadowInjection.isShadow(existing) ? "the devproxy shadow of session '" + ShadowInjection.session(existing)
            + "'; run 'devproxy leave' there (or 'devproxy uninstall')"
        : "an object devproxy did not create; delete or rename it";
    throw new DevproxyException(ErrorCategory.USER, kindName(resource) + " '" + name + "' already exists in namespace '"
        + ns + "' and is " + holder);
  }

  private DevproxyException rollback(String ns, String deployment, DevproxyException failure) {
    String what = failure.getMessage();
    try {
      uninstall(ns, deployment, null);
      return new DevproxyException(failure.category(), what + "; the shadow Deployment '" + deployment
          + "' was deleted again", failure);
    } catch (DevproxyException | RuntimeException e) {
      log.log(Level.WARNING, "[" + ns + "/" + deployment + "] rollback failed: " + e.getMessage());
      return new DevproxyException(ErrorCategory.CLUSTER, what + "; deleting the shadow Deployment '" + deployment
          + "' failed too (" + e.getMessage() + "); run 'devproxy uninstall' to remove it", failure);
    }
  }

  /** Deletes {@code object} if it is a devproxy shadow. @return whether a delete was sent */
  private boolean delete(HasMetadata object, String resource, String ns) throws DevproxyException {
    if (object == null) {
      return false;
    }
    String name = object.getMetadata().getName();
    if (!ShadowInjection.isShadow(object)) {
      log.warning(() -> "[" + ns + "/" + name + "] " + kindName(resource) + " is not a devproxy shadow; left alone");
      return false;
    }
    KubeCalls.call("delete", resource, ns, () -> resource.equals("services")
        ? client.services().inNamespace(ns).withName(name).delete()
        : client.apps().deployments().inNamespace(ns).withName(name).delete());
    log.info(() -> "[" + ns + "/" + name + "] devproxy shadow " + kindName(resource) + " deleted");
    return true;
  }

  private static String kindName(String resource) {
    return resource.equals("services") ? "Service" : "Deployment";
  }
}

package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where shadow mode's objects are made: a copy of the target Deployment, {@code <name>-devproxy-<key>}, with one
 * replica whose target container is swapped for the agent (as {@link SwapInjection} does), and a Service
 * {@code <service>-devproxy-<key>} with the original's ports that selects only that copy; the copy's pods also get
 * the agent's image pull Secrets. Pure functions, no API calls; inputs are never modified. The original Deployment
 * and Service are not changed at all.
 *
 * <p>The copy's pods must not be selected by the original Deployment (its ReplicaSets would count or adopt them)
 * nor by any Service of the namespace (teammates' traffic would reach an agent that has no app and answers
 * 503). So the copy's template drops every label key the Deployment's selector uses and the keys of every
 * Service selector its labels would still match, and gets {@value #SHADOW_LABEL}{@code : <copy name>} and the
 * managed-by label instead; its own selector is that one label. Other template labels and all template
 * annotations stay (NetworkPolicies and sidecar injectors that key on them keep applying). When the original
 * runs the devproxy sidecar or is swapped, the copy is made from the spec recorded before that.
 *
 * <p>Both objects carry {@code app.kubernetes.io/managed-by: devproxy}, {@value #SHADOW_LABEL}, and the
 * annotations {@value #SHADOW_OF} (the original Deployment) and, when a session is given, {@value #SESSION}, by
 * which uninstall and the leftover collection find them.
 */
public final class ShadowInjection {

  static final String SHADOW_LABEL = "devproxy.io/shadow";
  static final String SHADOW_OF = "devproxy.io/shadow-of";
  static final String SESSION = "devproxy.io/session";
  /** DNS-1123 label length, which Service names and label values keep to. */
  static final int MAX_NAME = 63;

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final int HASH_CHARS = 8;

  private ShadowInjection() {}

  /** The names of the copy: {@code <deployment>-devproxy-<key>} and {@code <service>-devproxy-<key>}. */
  public record Names(String deployment, String service) {}

  /** The objects to create, both new (no resourceVersion). */
  public record Plan(Deployment deployment, Service service) {}

  /**
   * The shadow names for {@code target} and {@code key}, each a DNS-1123 label of at most 63 characters: when
   * {@code <name>-devproxy-<key>} is longer, it is cut and ends with {@code -} and 8 hex digits of its SHA-256,
   * so two long names stay apart.
   *
   * @param key the developer's session key; lower-cased
   * @throws DevproxyException USER when {@code key} is not a DNS-1123 label
   */
  public static Names names(InterceptTarget target, String key) throws DevproxyException {
    requireNonNull(target, "target");
    String k = checkKey(key);
    return new Names(name(target.workloadName(), k), name(target.service(), k));
  }

  /**
   * Plans the copy of {@code original} and of {@code service}'s ports.
   *
   * @param namespaceServices every Service of the namespace, so that none of them selects the copy's pods
   * @param sessionId recorded in {@value #SESSION}; may be null
   * @throws DevproxyException USER when the target is not a Deployment or is itself a shadow, the container is
   *     gone, the agent does not fit, or the copy's pods cannot be kept out of the original's selectors
   */
  public static Plan plan(Deployment original, Service service, List<Service> namespaceServices,
      InterceptTarget target, AgentSpec agent, String key, String sessionId) throws DevproxyException {
    requireNonNull(original, "original");
    requireNonNull(service, "service");
    requireNonNull(namespaceServices, "namespaceServices");
    requireNonNull(agent, "agent");
    checkDeployment(target);
    if (isShadow(original)) {
      throw PodTemplates.userError(target, "is a devproxy shadow copy of '" + Metadata.annotation(original, SHADOW_OF)
          + "'; intercept the original");
    }
    Names names = names(target, key);
    Deployment source = SidecarInjection.isInjected(original) ? SidecarInjection.restore(original)
        : new DeploymentBuilder(original).build();
    PodTemplateSpec template = new PodTemplateSpecBuilder(source.getSpec().getTemplate()).build();
    SwapInjection.replace(template.getSpec(), target, agent,
        AgentContainer.workloadEnv(Workload.DEPLOYMENT, names.deployment(), names.service()));
    // The copy is deleted, not restored: what was added needs no record.
    ImagePullSecrets.add(template.getSpec(), agent.imagePullSecrets(), RestoreRecord.create());
    if (template.getMetadata() == null) {
      template.setMetadata(new ObjectMeta());
    }
    template.getMetadata().setLabels(podLabels(template.getMetadata().getLabels(), source, service,
        namespaceServices, names.deployment(), target));

    Map<String, String> selector = Map.of(SHADOW_LABEL, names.deployment());
    Deployment deployment = new DeploymentBuilder()
        .withMetadata(meta(names.deployment(), target, names.deployment(), sessionId))
        .withNewSpec()
            .withReplicas(1)
            .withNewSelector().withMatchLabels(selector).endSelector()
            .withTemplate(template)
        .endSpec()
        .build();
    return new Plan(deployment, service(service, names, target, sessionId, selector));
  }

  /** Whether {@code object} is a shadow copy devproxy made (Deployment or Service). */
  public static boolean isShadow(HasMetadata object) {
    ObjectMeta meta = object.getMetadata();
    return meta != null && meta.getLabels() != null
        && RestoreRecord.DEVPROXY.equals(meta.getLabels().get(RestoreRecord.MANAGED_BY))
        && meta.getLabels().containsKey(SHADOW_LABEL) && Metadata.annotation(object, SHADOW_OF) != null;
  }

  /** The shadow's session annotation; null when none. */
  static String session(HasMetadata object) {
    return Metadata.annotation(object, SESSION);
  }

  /** @throws DevproxyException USER when {@code target} is not a Deployment, suggesting sidecar mode */
  static void checkDeployment(InterceptTarget target) throws DevproxyException {
    if (!Workload.DEPLOYMENT.equals(target.workloadKind())) {
      throw new DevproxyException(ErrorCategory.USER, "shadow mode supports Deployments, not " + target.workloadKind()
          + " '" + target.workloadName() + "'; use --mode sidecar (or --mode swap)");
    }
  }

  /** {@code <base>-devproxy-<key>}, cut to 63 characters with a hash suffix when longer. */
  static String name(String base, String key) {
    String full = (base + "-devproxy-" + key).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    if (full.length() <= MAX_NAME) {
      return full;
    }
    String head = full.substring(0, MAX_NAME - HASH_CHARS - 1);
    while (head.endsWith("-")) {
      head = head.substring(0, head.length() - 1);
    }
    return head + "-" + sha256(full).substring(0, HASH_CHARS);
  }

  private static String checkKey(String key) throws DevproxyException {
    String k = key == null ? "" : key.toLowerCase(Locale.ROOT);
    if (k.length() > MAX_NAME || !DNS_LABEL.matcher(k).matches()) {
      throw new DevproxyException(ErrorCategory.USER, "session key '" + key + "' cannot name a shadow copy"
          + " (expected: letters, digits and '-', starting and ending with a letter or digit, at most 63)");
    }
    return k;
  }

  private static Map<String, String> podLabels(Map<String, String> templateLabels, Deployment source,
      Service service, List<Service> namespaceServices, String shadowName, InterceptTarget target)
      throws DevproxyException {
    Map<String, String> labels = templateLabels == null ? new LinkedHashMap<>() : new LinkedHashMap<>(templateLabels);
    LabelSelector deploymentSelector = source.getSpec().getSelector();
    if (deploymentSelector != null) {
      if (deploymentSelector.getMatchLabels() != null) {
        labels.keySet().removeAll(deploymentSelector.getMatchLabels().keySet());
      }
      if (deploymentSelector.getMatchExpressions() != null) {
        deploymentSelector.getMatchExpressions().forEach(r -> labels.remove(r.getKey()));
      }
    }
    List<Service> services = new ArrayList<>();
    services.add(service);
    // A shadow's Service selects only its own copy (this one's included, when it exists already).
    namespaceServices.stream().filter(s -> !isShadow(s)).forEach(services::add);
    for (Service s : services) {
      Map<String, String> selector = selector(s);
      if (!selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet())) {
        labels.keySet().removeAll(selector.keySet());
      }
    }
    labels.put(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY);
    labels.put(SHADOW_LABEL, shadowName);
    if (deploymentSelector != null && matches(deploymentSelector, labels)) {
      throw PodTemplates.userError(target, "selects its pods by labels a copy cannot avoid; use --mode sidecar");
    }
    for (Service s : services) {
      Map<String, String> selector = selector(s);
      if (!selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet())) {
        throw new DevproxyException(ErrorCategory.USER, "service '" + s.getMetadata().getName() + "' selects every pod"
            + " devproxy labels " + selector + ", so it would send teammates' traffic to the shadow copy;"
            + " narrow its selector or use --mode sidecar");
      }
    }
    return labels;
  }

  private static Service service(Service original, Names names, InterceptTarget target, String sessionId,
      Map<String, String> selector) {
    List<ServicePort> ports = new ArrayList<>();
    if (original.getSpec() != null && original.getSpec().getPorts() != null) {
      // Only what routes: a nodePort would collide with the original's, and clusterIP is allocated anew.
      original.getSpec().getPorts().forEach(p -> ports.add(new ServicePortBuilder().withName(p.getName())
          .withProtocol(p.getProtocol()).withAppProtocol(p.getAppProtocol()).withPort(p.getPort())
          .withTargetPort(p.getTargetPort()).build()));
    }
    boolean headless = original.getSpec() != null && "None".equals(original.getSpec().getClusterIP());
    return new ServiceBuilder()
        .withMetadata(meta(names.service(), target, names.deployment(), sessionId))
        .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP(headless ? "None" : null)
            .withSelector(selector)
            .withPorts(ports)
        .endSpec()
        .build();
  }

  private static ObjectMeta meta(String name, InterceptTarget target, String shadowName, String sessionId) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(RestoreRecord.MANAGED_BY, RestoreRecord.DEVPROXY);
    labels.put(SHADOW_LABEL, shadowName);
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(SHADOW_OF, target.workloadName());
    if (sessionId != null) {
      annotations.put(SESSION, sessionId);
    }
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    meta.setNamespace(target.namespace());
    meta.setLabels(labels);
    meta.setAnnotations(annotations);
    return meta;
  }

  private static Map<String, String> selector(Service s) {
    return s.getSpec() == null || s.getSpec().getSelector() == null ? Map.of() : s.getSpec().getSelector();
  }

  /** Kubernetes label selector semantics: every matchLabels entry and every expression must hold. */
  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector.getMatchLabels() != null && !labels.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
      return false;
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String value = labels.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean holds = switch (r.getOperator()) {
          case "In" -> value != null && values.contains(value);
          case "NotIn" -> value == null || !values.contains(value);
          case "Exists" -> value != null;
          case "DoesNotExist" -> value == null;
          default -> false;
        };
        if (!holds) {
          return false;
        }
      }
    }
    return true;
  }


  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}

package io.devproxy.daemon.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The values the Downward API gives environment variables, computed as the kubelet does
 * ({@code podFieldSelectorRuntimeValue} and {@code containerResourceRuntimeValue} in kubelet_pods.go), from a running
 * pod when there is one, else from the pod template. Pure: no API calls.
 */
final class DownwardApi {

  /** A value, or (value null) why it cannot be known outside the pod. */
  record Lookup(String value, String whyUnknown) {

    static Lookup of(String value) {
      return new Lookup(value, null);
    }

    static Lookup unknown(String why) {
      return new Lookup(null, why);
    }
  }

  private final String namespace;
  private final PodSpec template;
  private final Map<String, String> templateLabels;
  private final Map<String, String> templateAnnotations;
  private final Pod pod;

  /** {@code pod} may be null; the maps may be null for none. */
  DownwardApi(String namespace, PodSpec template, Map<String, String> templateLabels,
      Map<String, String> templateAnnotations, Pod pod) {
    this.namespace = namespace;
    this.template = template;
    this.templateLabels = templateLabels == null ? Map.of() : templateLabels;
    this.templateAnnotations = templateAnnotations == null ? Map.of() : templateAnnotations;
    this.pod = pod;
  }

  /** A {@code fieldRef.fieldPath}: the paths the API server accepts for env, subscripted labels and annotations. */
  Lookup field(String path) {
    int open = path.indexOf("['");
    if (open > 0 && path.endsWith("']")) {
      String key = path.substring(open + 2, path.length() - 2);
      switch (path.substring(0, open)) {
        case "metadata.labels":
          return Lookup.of(podMap(p -> p.getMetadata().getLabels(), templateLabels).getOrDefault(key, ""));
        case "metadata.annotations":
          return Lookup.of(podMap(p -> p.getMetadata().getAnnotations(), templateAnnotations).getOrDefault(key, ""));
        default:
          return Lookup.unknown("fieldRef " + path + " is not a field the kubelet gives environment variables");
      }
    }
    return switch (path) {
      case "metadata.namespace" -> Lookup.of(namespace);
      case "spec.serviceAccountName" -> Lookup.of(serviceAccountName());
      case "metadata.name" -> fromPod(path, p -> p.getMetadata().getName());
      case "metadata.uid" -> fromPod(path, p -> p.getMetadata().getUid());
      case "spec.nodeName" -> fromPod(path, p -> p.getSpec() == null ? null : p.getSpec().getNodeName());
      case "status.podIP" -> fromPod(path, p -> first(podIps(p)));
      case "status.podIPs" -> fromPod(path, p -> String.join(",", podIps(p)));
      case "status.hostIP" -> fromPod(path, p -> first(hostIps(p)));
      case "status.hostIPs" -> fromPod(path, p -> String.join(",", hostIps(p)));
      default -> Lookup.unknown("fieldRef " + path + " is not a field the kubelet gives environment variables");
    };
  }

  /**
   * A {@code resourceFieldRef} of {@code ownContainer} (or of the container it names): limits or requests of cpu
   * (in cores), memory, ephemeral-storage or hugepages (in bytes), divided by the divisor (default 1) and rounded
   * up. The container's resources come from the running pod when it has a container of that name (they include a
   * LimitRange's defaults), else from the template. A request left unset is the limit, as the API server defaults
   * it in pods, else 0. An unset cpu, memory or ephemeral-storage limit is unknown: the kubelet uses the node's
   * allocatable amount.
   */
  Lookup resource(ResourceFieldSelector ref, String ownContainer) {
    String containerName = ref.getContainerName() == null || ref.getContainerName().isEmpty()
        ? ownContainer : ref.getContainerName();
    Container container = podContainer(containerName);
    if (container == null) {
      return Lookup.unknown("resourceFieldRef names container " + containerName + ", which the pod does not have");
    }
    String resource = Objects.requireNonNullElse(ref.getResource(), "");
    int dot = resource.indexOf('.');
    String kind = dot < 0 ? "" : resource.substring(0, dot);
    String name = resource.substring(dot + 1);
    boolean cpu = name.equals("cpu");
    boolean hugePages = name.startsWith("hugepages-");
    if (!kind.equals("limits") && !kind.equals("requests")
        || !cpu && !hugePages && !name.equals("memory") && !name.equals("ephemeral-storage")) {
      return Lookup.unknown("resourceFieldRef " + resource + " is not a resource the kubelet gives environment"
          + " variables");
    }
    Map<String, Quantity> limits = container.getResources() == null ? null : container.getResources().getLimits();
    Map<String, Quantity> requests = container.getResources() == null ? null
        : container.getResources().getRequests();
    BigDecimal limit = amount(limits == null ? null : limits.get(name));
    BigDecimal amount;
    if (kind.equals("limits")) {
      // Hugepages are never overcommitted, so the kubelet leaves an unset hugepages limit at 0.
      if (limit.signum() == 0 && !hugePages) {
        return Lookup.unknown("container " + container.getName() + " sets no " + resource + ", so the kubelet"
            + " gives the node's allocatable " + name + ", which devproxy cannot know");
      }
      amount = limit;
    } else {
      Quantity request = requests == null ? null : requests.get(name);
      amount = request == null ? limit : amount(request);
    }
    BigDecimal divisor = amount(ref.getDivisor());
    if (divisor.signum() == 0) {
      divisor = BigDecimal.ONE;
    }
    // As Quantity.MilliValue() and Value(): cpu in whole millicores, the others in whole bytes, each rounded up.
    int scale = cpu ? 3 : 0;
    BigDecimal dividend = amount.movePointRight(scale).setScale(0, RoundingMode.CEILING);
    BigDecimal by = divisor.movePointRight(scale).setScale(0, RoundingMode.CEILING);
    return Lookup.of(dividend.divide(by, 0, RoundingMode.CEILING).toPlainString());
  }

  private static BigDecimal amount(Quantity quantity) {
    return quantity == null || quantity.getAmount() == null ? BigDecimal.ZERO : quantity.getNumericalAmount();
  }

  private Lookup fromPod(String path, Function<Pod, String> read) {
    if (pod == null) {
      return Lookup.unknown(path + " is a running pod's, and no pod of the workload runs");
    }
    String value = read.apply(pod);
    return value == null || value.isEmpty()
        ? Lookup.unknown("pod " + pod.getMetadata().getName() + " has no " + path + " yet")
        : Lookup.of(value);
  }

  private Map<String, String> podMap(Function<Pod, Map<String, String>> read, Map<String, String> fromTemplate) {
    if (pod == null) {
      return fromTemplate;
    }
    Map<String, String> map = read.apply(pod);
    return map == null ? Map.of() : map;
  }

  private String serviceAccountName() {
    PodSpec spec = pod != null && pod.getSpec() != null ? pod.getSpec() : template;
    // The API server fills in the deprecated serviceAccount alias, and admission the default account.
    return Stream.of(spec.getServiceAccountName(), spec.getServiceAccount(), "default")
        .filter(s -> s != null && !s.isEmpty()).findFirst().orElseThrow();
  }

  private Container podContainer(String name) {
    Container running = pod == null ? null : containerIn(pod.getSpec(), name);
    return running != null ? running : containerIn(template, name);
  }

  private static Container containerIn(PodSpec spec, String name) {
    if (spec == null) {
      return null;
    }
    return Stream.concat(nullToEmpty(spec.getContainers()).stream(), nullToEmpty(spec.getInitContainers()).stream())
        .filter(c -> name.equals(c.getName())).findFirst().orElse(null);
  }

  private static List<String> podIps(Pod p) {
    PodStatus status = p.getStatus();
    if (status == null) {
      return List.of();
    }
    List<String> ips = nullToEmpty(status.getPodIPs()).stream().map(PodIP::getIp).filter(Objects::nonNull).toList();
    return !ips.isEmpty() || status.getPodIP() == null ? ips : List.of(status.getPodIP());
  }

  private static List<String> hostIps(Pod p) {
    PodStatus status = p.getStatus();
    if (status == null) {
      return List.of();
    }
    List<String> ips = nullToEmpty(status.getHostIPs()).stream().map(HostIP::getIp).filter(Objects::nonNull)
        .toList();
    return !ips.isEmpty() || status.getHostIP() == null ? ips : List.of(status.getHostIP());
  }

  private static String first(List<String> values) {
    return values.isEmpty() ? null : values.get(0);
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}

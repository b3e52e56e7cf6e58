package io.devproxy.daemon;

import static java.util.Objects.requireNonNull;

import io.devproxy.tunnel.AgentImage;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The daemon's settings from {@code $DEVPROXY_HOME/config.properties}; every key is optional.
 *
 * <pre>
 * agentImage=registry.example.com/devproxy/traffic-agent:0.1.0   # the image injected into workloads
 * agentTunnelPort=8443                                           # the agent's tunnel port in the pod
 * agentAdminPort=9901                                            # probes and metrics in the pod
 * leaseSeconds=30                                                # how long a session outlives a silent laptop
 * rolloutTimeoutSeconds=120                                      # default of intercept --timeout
 * previewDomain=preview.example.com                              # preview hosts: &lt;key&gt;-&lt;service&gt;.&lt;domain&gt;
 * outboundPort=1080                                              # the outbound proxy's loopback port; 0: any free
 * agentCpuRequest=50m                                            # the injected agent container's resources:
 * agentMemoryRequest=80Mi                                        #   Kubernetes quantities, or none
 * agentMemoryLimit=128Mi
 * agentCpuLimit=none
 * agentImagePullSecrets=regcred,mirror-creds                     # added to the pod's imagePullSecrets
 * </pre>
 *
 * @param agentImage the default traffic-agent image
 * @param agentTunnelPort the agent's tunnel port inside the pod
 * @param agentAdminPort the agent's admin port inside the pod
 * @param lease how long a session Lease lives without renewal
 * @param rolloutTimeout how long an intercept waits for the agent's rollout unless told otherwise
 * @param previewDomain the domain of default preview hosts; empty when not set
 * @param outboundPort the loopback port of the outbound proxy (SOCKS5 and HTTP); 0, the default, for a free port
 *     chosen when the daemon starts
 * @param agentPod the injected agent container's resources and the pod's image pull Secrets
 */
public record DaemonConfig(String agentImage, int agentTunnelPort, int agentAdminPort, Duration lease,
    Duration rolloutTimeout, String previewDomain, int outboundPort, AgentPod agentPod) {

  /** The image repository the default image reference names; its tag is the daemon's version. */
  public static final String DEFAULT_IMAGE_REPOSITORY = AgentImage.DEFAULT_REPOSITORY;

  /** What a Secret's name must be (DNS-1123 subdomain, at most 253 characters). */
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private static final Set<String> KEYS =
      Set.of("agentImage", "agentTunnelPort", "agentAdminPort", "leaseSeconds", "rolloutTimeoutSeconds",
          "previewDomain", "outboundPort", "agentCpuRequest", "agentMemoryRequest", "agentCpuLimit",
          "agentMemoryLimit", "agentImagePullSecrets");

  public DaemonConfig {
    requireNonNull(agentPod, "agentPod");
  }

  /** Settings with the default {@link AgentPod}. */
  public DaemonConfig(String agentImage, int agentTunnelPort, int agentAdminPort, Duration lease,
      Duration rolloutTimeout, String previewDomain, int outboundPort) {
    this(agentImage, agentTunnelPort, agentAdminPort, lease, rolloutTimeout, previewDomain, outboundPort,
        AgentPod.DEFAULTS);
  }

  /** Settings with the default {@code outboundPort}, 0 (a free port), and the default {@link AgentPod}. */
  public DaemonConfig(String agentImage, int agentTunnelPort, int agentAdminPort, Duration lease,
      Duration rolloutTimeout, String previewDomain) {
    this(agentImage, agentTunnelPort, agentAdminPort, lease, rolloutTimeout, previewDomain, 0);
  }

  /**
   * The defaults: the version-matched image, ports 8443 and 9901, 30 s Leases, 120 s rollouts, no domain, a free
   * outbound port, {@link AgentPod#DEFAULTS}.
   */
  public static DaemonConfig defaults() {
    return new DaemonConfig(AgentImage.defaultFor(Daemon.version()), 8443, 9901, Duration.ofSeconds(30),
        Duration.ofSeconds(120), "", 0, AgentPod.DEFAULTS);
  }

  /** {@code home}'s config file, or the defaults when there is none. */
  public static DaemonConfig load(DevproxyHome home) throws DevproxyException {
    return load(home.dir().resolve("config.properties"));
  }

  /**
   * @throws DevproxyException CONFIG naming the file and the key when a value is malformed or a key unknown
   */
  public static DaemonConfig load(Path file) throws DevproxyException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      return defaults();
    } catch (IOException | IllegalArgumentException e) {
      throw new DevproxyException(ErrorCategory.CONFIG, "cannot read " + file + ": " + e.getMessage()
          + "; fix or remove the file", e);
    }
    for (String key : p.stringPropertyNames()) {
      if (!KEYS.contains(key)) {
        throw new DevproxyException(ErrorCategory.CONFIG, file + ": unknown key '" + key + "' (known: "
            + String.join(", ", KEYS.stream().sorted().toList()) + ")");
      }
    }
    DaemonConfig d = defaults();
    String image = p.getProperty("agentImage", d.agentImage()).strip();
    if (image.isEmpty() || image.chars().anyMatch(Character::isWhitespace)) {
      throw new DevproxyException(ErrorCategory.CONFIG, file + ": agentImage '" + image
          + "' is not an image reference (expected e.g. registry.example.com/devproxy/traffic-agent:1.0)");
    }
    int tunnel = number(file, p, "agentTunnelPort", d.agentTunnelPort(), 1, 65535);
    int admin = number(file, p, "agentAdminPort", d.agentAdminPort(), 1, 65535);
    if (tunnel == admin) {
      throw new DevproxyException(ErrorCategory.CONFIG, file + ": agentTunnelPort and agentAdminPort are both "
          + tunnel + "; give them different ports");
    }
    int lease = number(file, p, "leaseSeconds", (int) d.lease().toSeconds(), 3, 3600);
    int rollout = number(file, p, "rolloutTimeoutSeconds", (int) d.rolloutTimeout().toSeconds(), 1, 3600);
    String domain = p.getProperty("previewDomain", "").strip();
    if (!domain.isEmpty() && !domain.matches("(?i)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+")) {
      throw new DevproxyException(ErrorCategory.CONFIG, file + ": previewDomain '" + domain
          + "' is not a DNS domain (expected e.g. preview.example.com)");
    }
    int outbound = number(file, p, "outboundPort", d.outboundPort(), 0, 65535);
    return new DaemonConfig(image, tunnel, admin, Duration.ofSeconds(lease), Duration.ofSeconds(rollout),
        domain.toLowerCase(Locale.ROOT), outbound, agentPod(file, p));
  }

  private static AgentPod agentPod(Path file, Properties p) throws DevproxyException {
    AgentPod d = AgentPod.DEFAULTS;
    String cpuRequest = quantity(file, p, "agentCpuRequest", d.cpuRequest(), Quantities.CPU);
    String memoryRequest = quantity(file, p, "agentMemoryRequest", d.memoryRequest(), Quantities.MEMORY);
    String cpuLimit = quantity(file, p, "agentCpuLimit", d.cpuLimit(), Quantities.CPU);
    String memoryLimit = quantity(file, p, "agentMemoryLimit", d.memoryLimit(), Quantities.MEMORY);
    notAboveLimit(file, "agentCpuRequest", cpuRequest, "agentCpuLimit", cpuLimit);
    notAboveLimit(file, "agentMemoryRequest", memoryRequest, "agentMemoryLimit", memoryLimit);
    Set<String> secrets = new LinkedHashSet<>();
    for (String name : p.getProperty("agentImagePullSecrets", "").split(",", -1)) {
      String secret = name.strip();
      if (secret.isEmpty()) {
        continue;
      }
      if (secret.length() > 253 || !DNS_SUBDOMAIN.matcher(secret).matches()) {
        throw new DevproxyException(ErrorCategory.CONFIG, file + ": agentImagePullSecrets: '" + secret
            + "' is not a Secret name (expected: comma-separated DNS-1123 names like regcred)");
      }
      secrets.add(secret);
    }
    return new AgentPod(cpuRequest, memoryRequest, cpuLimit, memoryLimit, new ArrayList<>(secrets));
  }

  /** The key's quantity as written (stripped); null for {@code none}; the default when the key is absent. */
  private static String quantity(Path file, Properties p, String key, String dflt, Quantities kind)
      throws DevproxyException {
    String value = p.getProperty(key);
    if (value == null) {
      return dflt;
    }
    String q = value.strip();
    if (q.equals("none")) {
      return null;
    }
    String problem = kind.check(q);
    if (problem != null) {
      throw new DevproxyException(ErrorCategory.CONFIG, file + ": " + key + "=" + value + " " + problem);
    }
    return q;
  }

  private static void notAboveLimit(Path file, String requestKey, String request, String limitKey, String limit)
      throws DevproxyException {
    if (request != null && limit != null && Quantities.compare(request, limit) > 0) {
      throw new DevproxyException(ErrorCategory.CONFIG, file + ": " + requestKey + "=" + request + " is above "
          + limitKey + "=" + limit + " (Kubernetes refuses a request above its limit)");
    }
  }

  private static int number(Path file, Properties p, String key, int dflt, int min, int max)
      throws DevproxyException {
    String value = p.getProperty(key);
    if (value == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new DevproxyException(ErrorCategory.CONFIG, file + ": " + key + "=" + value + " (expected: " + min + "-"
        + max + ")");
  }

  /**
   * What the injected agent container asks for, and the image pull Secrets its pod gets.
   *
   * @param cpuRequest a Kubernetes quantity (e.g. {@code 50m}), or null for none
   * @param memoryRequest a Kubernetes quantity (e.g. {@code 80Mi}), or null for none
   * @param cpuLimit a Kubernetes quantity, or null for none (the default: a throttled agent delays every request)
   * @param memoryLimit a Kubernetes quantity, or null for none
   * @param imagePullSecrets Secret names in the workload's namespace, added to the pod template's
   *     {@code imagePullSecrets} (those it already has are not repeated); no duplicates
   */
  public record AgentPod(String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit,
      List<String> imagePullSecrets) {

    /**
     * Requests cpu 50m and memory 80Mi (the agent idle), limit memory 128Mi (its RSS at 2,000 requests/s plus a
     * third), no CPU limit, no pull Secrets; measured in docs/AGENT-SIZING.md.
     */
    public static final AgentPod DEFAULTS = new AgentPod("50m", "80Mi", null, "128Mi", List.of());

    public AgentPod {
      imagePullSecrets = List.copyOf(requireNonNull(imagePullSecrets, "imagePullSecrets"));
    }
  }
}

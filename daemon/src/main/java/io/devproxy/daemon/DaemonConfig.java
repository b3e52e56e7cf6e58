package io.devproxy.daemon;

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
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

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
 */
public record DaemonConfig(String agentImage, int agentTunnelPort, int agentAdminPort, Duration lease,
    Duration rolloutTimeout, String previewDomain, int outboundPort) {

  /** The image repository the default image reference names; its tag is the daemon's version. */
  public static final String DEFAULT_IMAGE_REPOSITORY = AgentImage.DEFAULT_REPOSITORY;

  private static final Set<String> KEYS =
      Set.of("agentImage", "agentTunnelPort", "agentAdminPort", "leaseSeconds", "rolloutTimeoutSeconds",
          "previewDomain", "outboundPort");

  /** Settings with the default {@code outboundPort}, 0 (a free port). */
  public DaemonConfig(String agentImage, int agentTunnelPort, int agentAdminPort, Duration lease,
      Duration rolloutTimeout, String previewDomain) {
    this(agentImage, agentTunnelPort, agentAdminPort, lease, rolloutTimeout, previewDomain, 0);
  }

  /**
   * The defaults: the version-matched image, ports 8443 and 9901, 30 s Leases, 120 s rollouts, no domain, a free
   * outbound port.
   */
  public static DaemonConfig defaults() {
    return new DaemonConfig(AgentImage.defaultFor(Daemon.version()), 8443, 9901, Duration.ofSeconds(30),
        Duration.ofSeconds(120), "", 0);
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
        domain.toLowerCase(Locale.ROOT), outbound);
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
}

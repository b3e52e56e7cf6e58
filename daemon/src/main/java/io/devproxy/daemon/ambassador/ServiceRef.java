package io.devproxy.daemon.ambassador;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Mapping's {@code service} field when it names a Kubernetes Service: {@code [scheme://]name[.namespace[.svc
 * [.cluster-domain]]][:port]}, as Emissary resolves it. A bare {@code name} is in the Mapping's own namespace.
 * External hosts ({@code api.example.com:443}), IP literals and anything else that is not a Service DNS name
 * do not parse.
 *
 * @param scheme {@code http} or {@code https} when the field had one, else null
 * @param name the Service's name
 * @param namespace the namespace when the field named one, else null (the Mapping's own namespace)
 * @param domain what followed the namespace ({@code svc} or {@code svc.cluster.local}), else null
 * @param port the port when the field had one, else null
 */
public record ServiceRef(String scheme, String name, String namespace, String domain, Integer port) {

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public ServiceRef {
    requireNonNull(name, "name");
    if (namespace == null && domain != null) {
      throw new IllegalArgumentException("domain: " + domain + " (expected: none without a namespace)");
    }
    if (port != null && (port < 1 || port > 65535)) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
  }

  /** The Service a Mapping's {@code service} field names, or empty when it names none (or is malformed). */
  public static Optional<ServiceRef> parse(String service) {
    if (service == null) {
      return Optional.empty();
    }
    String rest = service.trim();
    String scheme = null;
    String lower = rest.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      scheme = lower.substring(0, lower.indexOf(':'));
      rest = rest.substring(scheme.length() + 3);
    }
    Integer port = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      String digits = rest.substring(colon + 1);
      if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(Character::isDigit)) {
        return Optional.empty();
      }
      port = Integer.parseInt(digits);
      if (port < 1 || port > 65535) {
        return Optional.empty();
      }
      rest = rest.substring(0, colon);
    }
    String[] parts = rest.toLowerCase(Locale.ROOT).split("\\.", -1);
    for (String part : parts) {
      if (!LABEL.matcher(part).matches()) {
        return Optional.empty(); // empty label, '/', '[' of an IPv6 literal, '_'...
      }
    }
    if (parts[parts.length - 1].chars().allMatch(Character::isDigit)) {
      return Optional.empty(); // an IPv4 literal
    }
    if (parts.length == 1) {
      return Optional.of(new ServiceRef(scheme, parts[0], null, null, port));
    }
    if (parts.length == 2) {
      return Optional.of(new ServiceRef(scheme, parts[0], parts[1], null, port));
    }
    if (!parts[2].equals("svc")) {
      return Optional.empty(); // a.b.c that is not <svc>.<ns>.svc[...]: an external host
    }
    return Optional.of(new ServiceRef(scheme, parts[0], parts[1],
        String.join(".", Arrays.copyOfRange(parts, 2, parts.length)), port));
  }

  /** Whether this routes to Service {@code service} in {@code serviceNamespace}, for a Mapping in {@code mappingNamespace}. */
  public boolean routesTo(String service, String serviceNamespace, String mappingNamespace) {
    requireNonNull(service, "service");
    requireNonNull(serviceNamespace, "serviceNamespace");
    requireNonNull(mappingNamespace, "mappingNamespace");
    String ns = namespace != null ? namespace : mappingNamespace;
    return name.equals(service) && ns.equals(serviceNamespace);
  }

  /**
   * The Service port Emissary connects to: the explicit one, else 443 for {@code https://} or when the Mapping
   * originates TLS ({@code tls} set), else 80.
   */
  public int effectivePort(boolean tlsOrigination) {
    if (port != null) {
      return port;
    }
    return "https".equals(scheme) || tlsOrigination ? 443 : 80;
  }

  /** The same reference (scheme, namespace form, port) to another Service: shadow mode's copy. */
  public ServiceRef withName(String otherName) {
    return new ServiceRef(scheme, otherName, namespace, domain, port);
  }

  /** The {@code service} field value, in the form it was parsed from. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    if (scheme != null) {
      b.append(scheme).append("://");
    }
    b.append(name);
    if (namespace != null) {
      b.append('.').append(namespace);
    }
    if (domain != null) {
      b.append('.').append(domain);
    }
    if (port != null) {
      b.append(':').append(port);
    }
    return b.toString();
  }
}

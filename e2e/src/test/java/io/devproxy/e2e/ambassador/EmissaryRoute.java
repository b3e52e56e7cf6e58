package io.devproxy.e2e.ambassador;

import static java.util.Objects.requireNonNull;

import io.devproxy.daemon.ambassador.ServiceRef;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The route Emissary builds from one {@code Mapping}: what it matches, what it does to a matched request, and where it
 * sends it. {@link MappingSpec} says which fields count and which are refused.
 *
 * @param mapping {@code namespace/name}
 * @param headers the header matches, {@code :authority} (host) and {@code :method} included, in Emissary's order
 * @param rewrite what replaces the matched prefix, or null to send the path as it is
 * @param grpc HTTP/2 without TLS to the upstream; otherwise HTTP/1.1
 */
record EmissaryRoute(String mapping, long precedence, String prefix, List<HeaderMatch> headers, String rewrite,
    List<AddedHeader> addedHeaders, boolean grpc, InetSocketAddress upstream) {

  /** One header condition; {@code value} is null for {@link Kind#PRESENT}. Names are lower case. */
  record HeaderMatch(String name, String value, Kind kind) {

    enum Kind { EXACT, PRESENT, REGEX }

    // Emissary's KeyValueDecorator.length() and key(), which its route weight sums and compares.
    int weight() {
      return name.length() + (value == null ? 1 : value.length()) + (kind == Kind.REGEX ? 1 : 0);
    }

    String key() {
      return name + "-" + (value == null ? "*" : value);
    }
  }

  /** {@code append}: add a value (Envoy's default); otherwise replace any the request has. */
  record AddedHeader(String name, String value, boolean append) {}

  /**
   * Emissary's route order, first match first: its route weight {@code [precedence, len(prefix), summed header
   * weights, prefix, header keys]} descending (IRHTTPMapping._route_weight), then the Mapping's name. Host and method
   * count as the {@code :authority} and {@code :method} headers they become. So at equal precedence a longer prefix
   * wins over more headers: {@code /orders/} beats {@code host: www.example.com} with {@code /}.
   */
  static final Comparator<EmissaryRoute> EMISSARY_ORDER = Comparator.comparingLong(EmissaryRoute::precedence)
      .thenComparingInt(r -> r.prefix().length())
      .thenComparingInt(r -> r.headers().stream().mapToInt(HeaderMatch::weight).sum())
      .thenComparing(EmissaryRoute::prefix)
      .thenComparing(r -> r.headers().stream().map(HeaderMatch::key).toList(), EmissaryRoute::compareLists)
      .reversed()
      .thenComparing(EmissaryRoute::mapping);

  /**
   * The route of {@code mapping}, its upstream resolved by {@code resolver}.
   *
   * @throws UnsupportedOperationException when the Mapping has a field, or a value, HaproxyEdge cannot reproduce
   * @throws IllegalArgumentException when it is not a Mapping Emissary would accept (no prefix, no service...)
   */
  static EmissaryRoute of(GenericKubernetesResource mapping, Function<ServiceRef, InetSocketAddress> resolver) {
    requireNonNull(resolver, "resolver");
    MappingSpec spec = MappingSpec.of(mapping);
    ServiceRef service = spec.service();
    InetSocketAddress upstream = requireNonNull(resolver.apply(service), "resolver returned null for " + service);
    return new EmissaryRoute(spec.id(), spec.precedence(), spec.prefix(), spec.headers(), spec.rewrite(),
        spec.addedHeaders(), spec.grpc(), upstream);
  }

  // Python compares lists element by element, then by length.
  private static int compareLists(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}

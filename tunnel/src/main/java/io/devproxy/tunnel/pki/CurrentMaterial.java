package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

/**
 * The material new TLS handshakes use, swapped atomically on reload. The one it replaced stays
 * reachable by alias, for a handshake that chose its alias just before the swap.
 */
final class CurrentMaterial {

  private volatile TlsMaterial current;
  private volatile TlsMaterial previous;

  CurrentMaterial(TlsMaterial initial) {
    this.current = requireNonNull(initial, "initial");
  }

  TlsMaterial get() {
    return current;
  }

  synchronized void set(TlsMaterial next) {
    previous = current;
    current = requireNonNull(next, "next");
  }

  /** The current or the previous material named {@code alias}, or null. */
  TlsMaterial byAlias(String alias) {
    TlsMaterial material = current;
    if (material.alias.equals(alias)) {
      return material;
    }
    material = previous;
    return material != null && material.alias.equals(alias) ? material : null;
  }
}

package io.devproxy.daemon.ambassador;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Emissary CRDs and schemas in {@code shared/crds/}, which sits next to the repository (the project's CI
 * clones the repository beside {@code shared/}). Surefire runs in the module directory, one below the repository
 * root, in the daemon's tests and the e2e module's alike.
 */
public final class CrdFiles {

  private CrdFiles() {}

  /** The {@code shared/crds} directory; fails with what is missing and where it was looked for. */
  static Path dir() {
    Path repoRoot = Path.of("").toAbsolutePath().getParent();
    Path dir = repoRoot.resolveSibling("shared").resolve("crds");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("Emissary CRD schemas not found at " + dir
          + ": these tests expect the shared/ directory beside the repository (" + repoRoot + ")");
    }
    return dir;
  }

  static Path file(String name) {
    Path file = dir().resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("missing " + file);
    }
    return file;
  }

  /** Applies the v3alpha1-only Mapping CRD (the mock API server advertises only a CRD's storage version). */
  public static void applyMappingCrd(KubernetesClient client) throws IOException {
    apply(client, "mappings.getambassador.io.v3alpha1-only.crd.yaml");
  }

  /**
   * Applies the Mapping CRD as Emissary ships it: v1, v2 and v3alpha1 served, v2 stored; the mock API server
   * advertises only v2.
   */
  public static void applyShippedMappingCrd(KubernetesClient client) throws IOException {
    apply(client, "mappings.getambassador.io.crd.yaml");
  }

  /** Applies the v3alpha1-only Host CRD. */
  public static void applyHostCrd(KubernetesClient client) throws IOException {
    apply(client, "hosts.getambassador.io.v3alpha1-only.crd.yaml");
  }

  private static void apply(KubernetesClient client, String name) throws IOException {
    try (InputStream in = Files.newInputStream(file(name))) {
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
      client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    }
  }
}

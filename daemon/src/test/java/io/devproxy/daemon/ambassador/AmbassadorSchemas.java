package io.devproxy.daemon.ambassador;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Validates Mappings and Hosts against Emissary's CRD schemas ({@code shared/crds/mapping-<version>.openapi.json},
 * {@code host-<version>.openapi.json}: the {@code openAPIV3Schema} of each version) as JSON Schema draft 4. The
 * schemas do not forbid unknown fields, so a misspelled field passes: {@link MappingCopies}' allow-list is what
 * guards against those.
 */
final class AmbassadorSchemas {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Map<String, Schema> SCHEMAS = new HashMap<>();

  private AmbassadorSchemas() {}

  /** The schema violations of a Mapping or Host for its own kind and apiVersion; empty when it is valid. */
  static List<String> errors(GenericKubernetesResource mapping) {
    String kind = mapping.getKind().toLowerCase(Locale.ROOT);
    if (!kind.equals("mapping") && !kind.equals("host")) {
      throw new IllegalArgumentException("kind: " + mapping.getKind() + " (expected: Mapping or Host)");
    }
    Schema schema = schema(kind + "-" + AmbassadorApi.of(mapping.getApiVersion()).version() + ".openapi.json");
    List<Error> errors = schema.validate(SERIALIZATION.asJson(mapping), InputFormat.JSON);
    return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
  }

  private static synchronized Schema schema(String file) {
    return SCHEMAS.computeIfAbsent(file, f -> {
      try {
        String text = Files.readString(CrdFiles.file(f));
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(text, InputFormat.JSON);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}

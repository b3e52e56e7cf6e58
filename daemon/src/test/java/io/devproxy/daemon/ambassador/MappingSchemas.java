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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Validates Mappings against Emissary's CRD schemas ({@code shared/crds/mapping-<version>.openapi.json}, the
 * {@code openAPIV3Schema} of each version) as JSON Schema draft 4. The schemas do not forbid unknown fields, so a
 * misspelled field passes: {@link HeaderRoutes}' allow-list is what guards against those.
 */
final class MappingSchemas {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Map<MappingApi, Schema> SCHEMAS = new EnumMap<>(MappingApi.class);

  private MappingSchemas() {}

  /** The schema violations of {@code mapping} for its own apiVersion; empty when it is valid. */
  static List<String> errors(GenericKubernetesResource mapping) {
    Schema schema = schema(MappingApi.of(mapping.getApiVersion()));
    List<Error> errors = schema.validate(SERIALIZATION.asJson(mapping), InputFormat.JSON);
    return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
  }

  private static synchronized Schema schema(MappingApi api) {
    return SCHEMAS.computeIfAbsent(api, a -> {
      try {
        String text = Files.readString(CrdFiles.file("mapping-" + a.version() + ".openapi.json"));
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(text, InputFormat.JSON);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}

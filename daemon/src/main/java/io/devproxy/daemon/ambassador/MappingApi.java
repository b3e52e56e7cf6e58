package io.devproxy.daemon.ambassador;

/** A {@code Mapping} API version devproxy reads and writes. Declared in the order devproxy prefers them. */
public enum MappingApi {
  /** Served by Emissary 2.x, 3.x, 4.x and AES 2/3; what devproxy writes whenever the cluster serves it. */
  V3ALPHA1("v3alpha1"),
  /** Ambassador 1.x (and 2.x/3.x through conversion). */
  V2("v2");

  public static final String GROUP = "getambassador.io";
  public static final String KIND = "Mapping";
  public static final String PLURAL = "mappings";

  private final String version;

  MappingApi(String version) {
    this.version = version;
  }

  /** The version alone: {@code v3alpha1}. */
  public String version() {
    return version;
  }

  /** The {@code apiVersion} field value: {@code getambassador.io/v3alpha1}. */
  public String apiVersion() {
    return GROUP + "/" + version;
  }

  /** The constant for an object's {@code apiVersion}, e.g. {@code getambassador.io/v2}. */
  public static MappingApi of(String apiVersion) {
    for (MappingApi api : values()) {
      if (api.apiVersion().equals(apiVersion)) {
        return api;
      }
    }
    throw new IllegalArgumentException("apiVersion: " + apiVersion
        + " (expected: getambassador.io/v3alpha1 or getambassador.io/v2)");
  }
}

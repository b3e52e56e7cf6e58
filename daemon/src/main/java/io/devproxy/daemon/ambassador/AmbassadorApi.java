package io.devproxy.daemon.ambassador;

/**
 * A {@code getambassador.io} API version devproxy reads and writes {@code Mapping}s and {@code Host}s through.
 * Declared in the order devproxy prefers them.
 */
public enum AmbassadorApi {
  /** Served by Emissary 2.x, 3.x, 4.x and AES 2/3; what devproxy writes whenever the cluster serves it. */
  V3ALPHA1("v3alpha1"),
  /** Ambassador 1.x (and 2.x/3.x through conversion). */
  V2("v2");

  public static final String GROUP = "getambassador.io";
  public static final String MAPPING_KIND = "Mapping";
  public static final String MAPPINGS = "mappings";
  /** The resource as RBAC rules and devproxy's errors name it. */
  public static final String MAPPINGS_RESOURCE = MAPPINGS + "." + GROUP;
  public static final String HOST_KIND = "Host";
  public static final String HOSTS = "hosts";
  public static final String HOSTS_RESOURCE = HOSTS + "." + GROUP;

  private final String version;

  AmbassadorApi(String version) {
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
  public static AmbassadorApi of(String apiVersion) {
    for (AmbassadorApi api : values()) {
      if (api.apiVersion().equals(apiVersion)) {
        return api;
      }
    }
    throw new IllegalArgumentException("apiVersion: " + apiVersion
        + " (expected: getambassador.io/v3alpha1 or getambassador.io/v2)");
  }
}

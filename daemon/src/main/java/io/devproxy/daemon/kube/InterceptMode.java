package io.devproxy.daemon.kube;

import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How {@code devproxy intercept} puts the traffic agent in front of a service port. */
public enum InterceptMode {
  /** The agent is added next to the app container; unmatched traffic goes on to the app. */
  SIDECAR,
  /** The target container is replaced by the agent; unmatched traffic is answered 503 by the agent. */
  SWAP,
  /** A copy Deployment running the agent and its own Service; the original is untouched. */
  SHADOW;

  /** The name users type and read: {@code sidecar}, {@code swap}, {@code shadow}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The mode named {@code value}, case-insensitive, surrounding blanks ignored.
   *
   * @throws DevproxyException USER naming the modes when {@code value} is none of them (or null)
   */
  public static InterceptMode parse(String value) throws DevproxyException {
    String id = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    for (InterceptMode mode : values()) {
      if (mode.id().equals(id)) {
        return mode;
      }
    }
    throw new DevproxyException(ErrorCategory.USER, "unknown intercept mode '" + value + "' (expected: "
        + Arrays.stream(values()).map(InterceptMode::id).collect(Collectors.joining(", ")) + ")");
  }

  @Override
  public String toString() {
    return id();
  }
}

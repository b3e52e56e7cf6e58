package io.devproxy.daemon.kube;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's environment as the kubelet would give it, and what of it could not be reproduced.
 *
 * @param variables name to value, unmodifiable, in definition order: the {@code envFrom} sources in order (each
 *     source's keys sorted), then the {@code env} entries; a name defined again keeps its first place
 * @param warnings one line each, unmodifiable: a variable left out and why, or envFrom keys skipped
 */
public record ResolvedEnv(Map<String, String> variables, List<String> warnings) {

  public ResolvedEnv {
    variables = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(variables, "variables")));
    warnings = List.copyOf(requireNonNull(warnings, "warnings"));
  }
}

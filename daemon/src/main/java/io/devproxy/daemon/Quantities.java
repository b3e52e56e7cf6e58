package io.devproxy.daemon;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities ({@code 50m}, {@code 0.5}, {@code 128Mi}, {@code 1e3}) as the API server parses
 * them, checked for the agent's CPU and memory settings before anything reaches a cluster.
 */
enum Quantities {
  CPU {
    @Override
    String check(String quantity) {
      BigDecimal value = value(quantity);
      if (value == null || value.compareTo(new BigDecimal("0.001")) < 0) {
        return "(expected: a Kubernetes CPU quantity of at least 1m, such as 50m, 0.5 or 1)";
      }
      return null;
    }
  },
  MEMORY {
    @Override
    String check(String quantity) {
      BigDecimal value = value(quantity);
      if (value != null && quantity.endsWith("m")) {
        return "(m is milli: that is " + value.toPlainString() + " bytes; write Mi for mebibytes, such as 128Mi)";
      }
      if (value == null || value.compareTo(MIN_MEMORY) < 0) {
        return "(expected: a Kubernetes memory quantity of at least 32Mi, such as 128Mi or 1Gi)";
      }
      return null;
    }
  };

  /** Below this the agent's JVM cannot start. */
  private static final BigDecimal MIN_MEMORY = BigDecimal.valueOf(32L << 20);

  // <signedNumber><suffix>, the suffix binary SI, decimal SI or a decimal exponent (k8s.io/apimachinery quantity.go).
  private static final Pattern QUANTITY =
      Pattern.compile("([+-]?)(\\d+(?:\\.\\d*)?|\\.\\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\\d+|m|k|M|G|T|P|E)?");
  private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
      Map.entry("Ki", BigDecimal.valueOf(1L << 10)), Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
      Map.entry("Gi", BigDecimal.valueOf(1L << 30)), Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
      Map.entry("Pi", BigDecimal.valueOf(1L << 50)), Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
      Map.entry("m", new BigDecimal("0.001")), Map.entry("k", BigDecimal.TEN.pow(3)),
      Map.entry("M", BigDecimal.TEN.pow(6)), Map.entry("G", BigDecimal.TEN.pow(9)),
      Map.entry("T", BigDecimal.TEN.pow(12)), Map.entry("P", BigDecimal.TEN.pow(15)),
      Map.entry("E", BigDecimal.TEN.pow(18)));

  /** What is wrong with {@code quantity} as this kind of resource, in parentheses; null when it is fine. */
  abstract String check(String quantity);

  /** The quantity's value (cores or bytes); null when it is not a non-negative Kubernetes quantity. */
  static BigDecimal value(String quantity) {
    Matcher m = QUANTITY.matcher(quantity);
    if (!m.matches() || m.group(1).equals("-")) {
      return null;
    }
    BigDecimal number = new BigDecimal(m.group(2).endsWith(".") ? m.group(2) + "0" : m.group(2));
    String suffix = m.group(3);
    if (suffix == null) {
      return number;
    }
    if (suffix.length() > 1 && (suffix.charAt(0) == 'e' || suffix.charAt(0) == 'E')) {
      int exponent = Integer.parseInt(suffix.substring(1));
      return Math.abs(exponent) > 100 ? null : number.scaleByPowerOfTen(exponent);
    }
    return number.multiply(SUFFIXES.get(suffix));
  }

  /** Compares two valid quantities by value. */
  static int compare(String a, String b) {
    return value(a).compareTo(value(b));
  }
}

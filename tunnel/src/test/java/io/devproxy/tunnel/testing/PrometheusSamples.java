package io.devproxy.tunnel.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a page in the Prometheus text exposition format (0.0.4) as a test sees it: every sample by its name
 * and labels as written, e.g. {@code devproxy_agent_requests_total{route="app"}}. Fails on a line that is not
 * a comment or a sample, and on a sample whose family has no {@code # TYPE} line before it.
 */
public final class PrometheusSamples {

  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (-?[0-9.]+(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)");
  private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

  private PrometheusSamples() {}

  public static Map<String, Double> parse(String page) {
    if (!page.isEmpty() && !page.endsWith("\n")) {
      throw new AssertionError("a Prometheus page ends with a line feed");
    }
    Map<String, Double> samples = new LinkedHashMap<>();
    java.util.Set<String> typed = new java.util.HashSet<>();
    for (String line : page.split("\n")) {
      if (line.isEmpty() || line.startsWith("# HELP ")) {
        continue;
      }
      Matcher type = TYPE.matcher(line);
      if (type.matches()) {
        typed.add(type.group(1));
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.matches()) {
        throw new AssertionError("not a Prometheus sample or comment line: '" + line + "'");
      }
      if (!typed.contains(sample.group(1))) {
        throw new AssertionError("sample before its # TYPE line: '" + line + "'");
      }
      String key = sample.group(1) + (sample.group(2) == null ? "" : sample.group(2));
      if (samples.put(key, Double.parseDouble(sample.group(3))) != null) {
        throw new AssertionError("sample written twice: '" + key + "'");
      }
    }
    return samples;
  }

  /** The value of one sample; fails when the page does not have it. */
  public static double value(String page, String nameAndLabels) {
    Double value = parse(page).get(nameAndLabels);
    if (value == null) {
      throw new AssertionError("no sample " + nameAndLabels + " in:\n" + page);
    }
    return value;
  }
}

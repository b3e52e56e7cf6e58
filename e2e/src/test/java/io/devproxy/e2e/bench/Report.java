package io.devproxy.e2e.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's Markdown report: what ran where, the goals met or missed, then a table per workload with each route's
 * absolute figures, what it adds to the direct route, its ratios to the direct and HAProxy routes (of the table's
 * first figure), errors, and the agent's CPU and RSS.
 */
final class Report {

  private Report() {}

  /** @param preamble lines under the title: the run, the machine, the versions */
  static String render(List<String> preamble, List<Section> sections) {
    List<String> out = new ArrayList<>();
    out.add("# devproxy benchmarks");
    out.add("");
    out.addAll(preamble);
    out.add("");
    out.add("## Goals");
    out.add("");
    out.add("Targets for the agent, checked against this run's figures (never asserted). On a busy machine, latency "
        + "differences of a tenth of a millisecond are noise: a route can even come out faster than direct.");
    out.add("");
    out.add("| section | workload | goal | figures | verdict |");
    out.add("|---|---|---|---|---|");
    for (Section section : sections) {
      for (Table table : section.tables()) {
        Map<String, Workload.Figures> byRoute = table.byRoute();
        for (Goal goal : table.goals()) {
          Goal.Verdict verdict = goal.check().apply(byRoute);
          out.add("| " + section.title() + " | " + table.workload().title() + " | " + goal.text() + " | "
              + verdict.figures() + " | **" + verdict.word() + "** |");
        }
      }
    }
    for (Section section : sections) {
      out.add("");
      out.add("## " + section.title());
      out.add("");
      out.add(section.intro());
      for (Table table : section.tables()) {
        out.add("");
        table(table, out);
      }
    }
    out.add("");
    return String.join("\n", out);
  }

  private static void table(Table table, List<String> out) {
    Workload w = table.workload();
    List<Workload.Metric> metrics = w.metrics();
    List<Workload.Metric> added = metrics.stream().filter(Workload.Metric::added).toList();
    Workload.Metric first = metrics.get(0);
    out.add("### " + w.title());
    out.add("");
    out.add(w.description());
    out.add("");
    StringBuilder head = new StringBuilder("| path |");
    metrics.forEach(m -> head.append(' ').append(m.heading()).append(" |"));
    added.forEach(m -> head.append(" added ").append(m.heading()).append(" |"));
    head.append(" ").append(first.heading().replace(" ms", "")).append(" vs direct | vs HAProxy | errors |")
        .append(" agent CPU s / ").append(w.unit().name()).append(" | agent RSS MiB |");
    out.add(head.toString());
    out.add("|---".repeat(1 + metrics.size() + added.size() + 5) + "|");
    Map<String, Workload.Figures> byRoute = table.byRoute();
    for (Table.Row row : table.rows()) {
      Map<String, Double> v = row.figures().values();
      StringBuilder line = new StringBuilder("| ").append(row.route().name()).append(" |");
      metrics.forEach(m -> line.append(' ').append(cell(v.get(m.key()))).append(" |"));
      for (Workload.Metric m : added) {
        Double direct = value(byRoute, Route.DIRECT, m.key());
        Double mine = v.get(m.key());
        line.append(' ').append(mine == null || direct == null ? "-"
            : String.format(Locale.ROOT, "%+.3f", mine - direct)).append(" |");
      }
      line.append(' ').append(ratio(v.get(first.key()), value(byRoute, Route.DIRECT, first.key()))).append(" |");
      line.append(' ').append(ratio(v.get(first.key()), value(byRoute, Route.HAPROXY, first.key()))).append(" |");
      Workload.Figures f = row.figures();
      line.append(' ').append(f.errors() == 0 ? "0" : f.errors() + " (" + escape(f.firstError()) + ")").append(" |");
      line.append(' ').append(Double.isNaN(row.agentCpuPerUnit()) ? "-"
          : String.format(Locale.ROOT, "%.3f", row.agentCpuPerUnit())).append(" |");
      line.append(' ').append(row.agentRssKib() < 0 ? "-"
          : String.format(Locale.ROOT, "%.1f", row.agentRssKib() / 1024.0)).append(" |");
      out.add(line.toString());
    }
  }

  /** Three decimals under 10 (sub-millisecond latencies), one under 100, else a whole number. */
  static String number(double value) {
    return String.format(Locale.ROOT, value < 10 ? "%.3f" : value < 100 ? "%.1f" : "%,.0f", value);
  }

  private static String cell(Double value) {
    return value == null ? "-" : number(value);
  }

  private static String ratio(Double value, Double base) {
    return value == null || base == null || base == 0 ? "-" : String.format(Locale.ROOT, "%.2f×", value / base);
  }

  private static Double value(Map<String, Workload.Figures> byRoute, String route, String key) {
    Workload.Figures f = byRoute.get(route);
    return f == null ? null : f.values().get(key);
  }

  private static String escape(String text) {
    return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
  }
}

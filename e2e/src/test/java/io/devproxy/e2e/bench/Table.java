package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One workload's figures on every route of a section, in route order, and the goals set for them. */
record Table(Workload workload, List<Row> rows, List<Goal> goals) {

  /**
   * One route's figures, and the agent's CPU seconds per {@link Workload.Unit} and RSS (KiB) after the measurement;
   * NaN and -1 for a route without an agent.
   */
  record Row(Route route, Workload.Figures figures, double agentCpuPerUnit, long agentRssKib) {}

  Table {
    requireNonNull(workload, "workload");
    rows = List.copyOf(rows);
    goals = List.copyOf(goals);
  }

  Map<String, Workload.Figures> byRoute() {
    Map<String, Workload.Figures> byRoute = new LinkedHashMap<>();
    rows.forEach(row -> byRoute.put(row.route().name(), row.figures()));
    return byRoute;
  }

  /** Whether a route saw an error or produced none of the workload's figures. */
  boolean failed() {
    return rows.stream().anyMatch(row -> row.figures().errors() > 0 || row.figures().values().isEmpty());
  }
}

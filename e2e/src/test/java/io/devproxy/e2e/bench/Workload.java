package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * One kind of load, run on every route of a section: a table of the report. A run is a {@link Trial}: opened on a
 * route (clients connected), warmed up, then measured; the agent's CPU is read around {@link Trial#measure()} only.
 */
interface Workload {

  /** The table's heading, e.g. {@code "HTTP/1.1 GET, fixed rate"}. */
  String title();

  /** One sentence under the heading: the load and how it is measured. */
  String description();

  /** The table's figure columns; the first is the one ratios are computed from. */
  List<Metric> metrics();

  /** What the agent's CPU seconds are counted per, e.g. {@code "10k req"}, and how many units of work that is. */
  Unit unit();

  /** Connects clients to {@code route}. */
  Trial open(Route route) throws Exception;

  /** A workload's clients on one route. Closing it closes them. */
  interface Trial extends AutoCloseable {

    /** Load that is not measured: connections, JIT, buffers and windows settle. */
    void warmUp() throws Exception;

    /** The measured load. */
    Figures measure() throws Exception;

    @Override
    void close();
  }

  /**
   * A figure: {@code key} in {@link Figures#values()}, its column heading, and whether the report adds a column for
   * what each route adds to the direct route's figure (latencies at a fixed rate).
   */
  record Metric(String key, String heading, boolean added) {
    public Metric {
      requireNonNull(key, "key");
      requireNonNull(heading, "heading");
    }
  }

  /** The agent's CPU is reported per {@code size} units of work named {@code name} ("10k req": 10,000 requests). */
  record Unit(String name, double size) {}

  /**
   * What one measurement saw: a value per metric key (absent when there is none: no answers), the units of work it
   * did (requests, bytes; for the agent's CPU per unit), errors and the first one's text.
   */
  record Figures(Map<String, Double> values, double work, long errors, String firstError) {
    public Figures {
      values = Map.copyOf(values);
    }
  }
}

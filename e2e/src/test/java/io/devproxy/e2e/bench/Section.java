package io.devproxy.e2e.bench;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** A part of the report: a heading, what its routes are, and a table per workload. */
record Section(String title, String intro, List<Table> tables) {
  Section {
    requireNonNull(title, "title");
    requireNonNull(intro, "intro");
    tables = List.copyOf(tables);
  }
}

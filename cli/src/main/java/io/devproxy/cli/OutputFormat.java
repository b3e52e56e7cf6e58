package io.devproxy.cli;

/** How commands print their result: {@code -o table} (for people) or {@code -o json} (for scripts). */
public enum OutputFormat {
  TABLE,
  JSON
}

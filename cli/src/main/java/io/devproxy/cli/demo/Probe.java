package io.devproxy.cli.demo;

import java.util.List;

/**
 * One request of the demo: what it is ({@code gRPC SayHello}), how it is marked, which app should serve it, and
 * the call, which answers with the {@code who} of each app that served it (one per reply for a stream).
 */
record Probe(String what, Marker marker, String expected, Call call) {

  @FunctionalInterface
  interface Call {
    List<String> servedBy() throws Exception;
  }

  /** What the output shows for {@code servedBy}: {@code served by local}, or {@code 5 replies, served by local}. */
  static String describe(List<String> servedBy) {
    List<String> distinct = servedBy.stream().distinct().toList();
    String who = distinct.isEmpty() ? "nobody" : String.join(" and ", distinct);
    return (servedBy.size() > 1 ? servedBy.size() + " replies, " : "") + "served by " + who;
  }

  /** Whether every answer came from the expected app. */
  boolean asExpected(List<String> servedBy) {
    return !servedBy.isEmpty() && servedBy.stream().allMatch(expected::equals);
  }
}

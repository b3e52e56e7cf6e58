package io.devproxy.cli;

import io.grpc.internal.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Parses the CLI's JSON output with gRPC's JSON parser (numbers come back as doubles). */
final class TestJson {

  private TestJson() {}

  static Object parse(String json) {
    try {
      return JsonParser.parse(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Object value) {
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static List<Object> array(Object value) {
    return (List<Object>) value;
  }
}

package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.internal.JsonParser;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  private static String quote(String s) {
    StringBuilder out = new StringBuilder();
    Json.quote(s, out);
    return out.toString();
  }

  @Test
  void escapesWhatJsonRequires() {
    assertThat(quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
    assertThat(quote("\n\r\t\b\f")).isEqualTo("\"\\n\\r\\t\\b\\f\"");
    assertThat(quote("\u0000\u001f")).isEqualTo("\"\\u0000\\u001f\"");
  }

  @Test
  void escapesLineSeparatorsAndLoneSurrogatesButKeepsOtherText() {
    assertThat(quote("\u2028\u2029")).isEqualTo("\"\\u2028\\u2029\"");
    assertThat(quote("x\ud800y")).isEqualTo("\"x\\ud800y\"");
    assertThat(quote("\udc00")).isEqualTo("\"\\udc00\"");
    assertThat(quote("é 😀 /")).isEqualTo("\"é 😀 /\"");
  }

  @Test
  void nestedValuesRoundTrip() throws Exception {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("s", "q\"\n");
    root.put("n", 42L);
    root.put("b", false);
    root.put("nothing", null);
    root.put("list", List.of(1, "two", Map.of()));
    root.put("empty", List.of());

    String json = Json.write(root);

    Map<String, Object> expected = new HashMap<>();
    expected.put("s", "q\"\n");
    expected.put("n", 42.0);
    expected.put("b", false);
    expected.put("nothing", null);
    expected.put("list", List.of(1.0, "two", Map.of()));
    expected.put("empty", List.of());
    assertThat(JsonParser.parse(json)).isEqualTo(expected);
    assertThat(json).startsWith("{\n  \"s\": ");
  }
}

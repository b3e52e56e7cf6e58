package io.devproxy.daemon.kube;

import java.util.function.Function;

/**
 * The kubelet's {@code $(VAR)} expansion of an {@code env[].value} (Kubernetes'
 * {@code third_party/forked/golang/expansion}), character for character: {@code $(NAME)} becomes NAME's value, or
 * stays as written when NAME is undefined; {@code $$} becomes {@code $}, so {@code $$(NAME)} is a literal
 * {@code $(NAME)}; a {@code $} before anything else, an unclosed {@code $(} and a trailing {@code $} stay.
 */
final class EnvExpansion {

  private EnvExpansion() {}

  /**
   * @param definitions a variable's value, or null when it is undefined
   */
  static String expand(String input, Function<String, String> definitions) {
    StringBuilder out = new StringBuilder(input.length());
    int checkpoint = 0;
    for (int cursor = 0; cursor < input.length(); cursor++) {
      if (input.charAt(cursor) != '$' || cursor + 1 == input.length()) {
        continue;
      }
      out.append(input, checkpoint, cursor);
      char next = input.charAt(cursor + 1);
      int close = next == '(' ? input.indexOf(')', cursor + 2) : -1;
      if (close >= 0) {
        String name = input.substring(cursor + 2, close);
        String value = definitions.apply(name);
        out.append(value == null ? "$(" + name + ")" : value);
        cursor = close;
      } else {
        // "$$" is an escaped "$"; otherwise the "$" and the character after it are kept as they are.
        out.append(next == '$' ? "$" : "$" + next);
        cursor++;
      }
      checkpoint = cursor + 1;
    }
    return out.append(input, checkpoint, input.length()).toString();
  }
}

package io.devproxy.sandbox;

import static java.util.Objects.requireNonNull;

/** Checks a server's {@code who} label, which travels as an HTTP header value. */
public final class Who {

    private Who() {
    }

    /**
     * Returns {@code who} if it is 1 to 64 characters of visible ASCII ({@code !} to {@code ~}).
     *
     * @throws IllegalArgumentException otherwise
     */
    public static String check(String who) {
        requireNonNull(who, "who");
        if (who.isEmpty() || who.length() > 64) {
            throw new IllegalArgumentException("who: \"" + who + "\" (expected: 1-64 characters)");
        }
        for (int i = 0; i < who.length(); i++) {
            char c = who.charAt(i);
            if (c < '!' || c > '~') {
                throw new IllegalArgumentException(
                        "who: \"" + who + "\" (expected: visible ASCII without spaces; it is sent as a header value)");
            }
        }
        return who;
    }
}

package io.devproxy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WhoTest {

    @Test
    void acceptsAHeaderSafeToken() {
        assertThat(Who.check("cluster")).isEqualTo("cluster");
    }

    @Test
    void rejectsWhatCannotTravelAsAHeaderValue() {
        assertThatThrownBy(() -> Who.check("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Who.check("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Who.check("evil\r\nx-injected: y"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("visible ASCII");
    }
}

package io.devproxy.agent.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** W3C baggage is parsed per its grammar: members, optional whitespace, properties, percent-encoding. */
class BaggageTest {

  private static final String KEY = "devproxy-session";

  private static String find(String... headerValues) {
    return Baggage.find(List.of(headerValues), KEY);
  }

  @Test
  void findsTheOnlyMember() {
    assertThat(find("devproxy-session=alice")).isEqualTo("alice");
  }

  @Test
  void findsAMemberAmongOthers() {
    assertThat(find("userId=42,devproxy-session=alice,isProduction=false")).isEqualTo("alice");
  }

  @Test
  void ignoresSpacesAndTabsAroundMembersKeysAndValues() {
    assertThat(find(" userId = 42 , \t devproxy-session \t=\t alice \t, other=1")).isEqualTo("alice");
  }

  @Test
  void dropsTheMembersProperties() {
    assertThat(find("devproxy-session=alice;p=1")).isEqualTo("alice");
    assertThat(find("devproxy-session=alice ; p=1 ; flag, other=2")).isEqualTo("alice");
    assertThat(find("a=1;p=2,devproxy-session=alice;q")).isEqualTo("alice");
  }

  @Test
  void decodesPercentEncodedValues() {
    assertThat(find("devproxy-session=alice%40example.com")).isEqualTo("alice@example.com");
    assertThat(find("devproxy-session=J%C3%BCrgen%20M")).isEqualTo("Jürgen M");
  }

  @Test
  void plusIsALiteralPlusNotASpace() {
    assertThat(find("devproxy-session=a+b")).isEqualTo("a+b");
  }

  @Test
  void keepsAnEqualsSignInsideTheValue() {
    assertThat(find("devproxy-session=a=b")).isEqualTo("a=b");
  }

  @Test
  void searchesEveryBaggageHeader() {
    assertThat(find("userId=42", "other=1,devproxy-session=alice")).isEqualTo("alice");
  }

  @Test
  void theFirstMemberWinsAcrossHeaders() {
    assertThat(find("devproxy-session=alice", "devproxy-session=bob")).isEqualTo("alice");
    assertThat(find("devproxy-session=alice,devproxy-session=bob")).isEqualTo("alice");
  }

  @Test
  void aKeyInsideAnotherMembersValueDoesNotMatch() {
    assertThat(find("other=devproxy-session=alice")).isNull();
    assertThat(find("other=devproxy-session")).isNull();
  }

  @Test
  void aKeyInsideAnotherMembersPropertyDoesNotMatch() {
    assertThat(find("other=1;devproxy-session=alice")).isNull();
    assertThat(find("other=1;p=0;devproxy-session=alice,third=3")).isNull();
  }

  @Test
  void aKeyThatOnlyStartsOrEndsWithTheNameDoesNotMatch() {
    assertThat(find("devproxy-session-old=bob,x-devproxy-session=carol")).isNull();
    assertThat(find("devproxy-session-old=bob,devproxy-session=alice")).isEqualTo("alice");
  }

  @Test
  void keysAreCaseSensitive() {
    assertThat(find("DevProxy-Session=alice")).isNull();
  }

  @Test
  void skipsAMemberWithoutEqualsSign() {
    assertThat(find("devproxy-session,devproxy-session=alice")).isEqualTo("alice");
    // The '=' of the next member must not be taken for this member's.
    assertThat(find("devproxy-session,other=alice")).isNull();
  }

  @Test
  void skipsAMemberWhoseValueIsBadlyPercentEncoded() {
    assertThat(find("devproxy-session=%zz,devproxy-session=alice")).isEqualTo("alice");
    assertThat(find("devproxy-session=al%4", "devproxy-session=bob")).isEqualTo("bob");
    assertThat(find("devproxy-session=100%")).isNull();
  }

  @Test
  void skipsEmptyMembers() {
    assertThat(find(",,  ,devproxy-session=alice,")).isEqualTo("alice");
    assertThat(find(" , ,")).isNull();
  }

  @Test
  void aMemberWithAnEmptyNameDoesNotMatch() {
    assertThat(find("=alice")).isNull();
  }

  @Test
  void findsNothingWithoutHeadersOrWithEmptyOnes() {
    assertThat(Baggage.find(List.of(), KEY)).isNull();
    assertThat(find("")).isNull();
    assertThat(find("", "userId=42")).isNull();
  }
}

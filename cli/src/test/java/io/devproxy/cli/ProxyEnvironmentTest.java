package io.devproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.devproxy.proto.daemon.EnvVar;
import io.devproxy.proto.daemon.Outbound;
import io.devproxy.proto.daemon.StatusReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyEnvironmentTest {

  private static final String JAVA_PROPERTIES = "-DsocksProxyHost=127.0.0.1 -DsocksProxyPort=41235"
      + " -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=41235 -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=41235"
      + " -Dhttp.nonProxyHosts=localhost|127.*|[::1]";

  @TempDir Path dir;

  @Test
  void everyClientFamilyGetsItsVariable() {
    assertThat(ProxyEnvironment.variables("127.0.0.1", 41235, Map.of())).containsExactly(
        entry("ALL_PROXY", "socks5h://127.0.0.1:41235"),
        entry("all_proxy", "socks5h://127.0.0.1:41235"),
        entry("HTTP_PROXY", "http://127.0.0.1:41235"),
        entry("http_proxy", "http://127.0.0.1:41235"),
        entry("HTTPS_PROXY", "http://127.0.0.1:41235"),
        entry("https_proxy", "http://127.0.0.1:41235"),
        entry("grpc_proxy", "http://127.0.0.1:41235"),
        entry("NO_PROXY", "localhost,127.0.0.1,::1"),
        entry("no_proxy", "localhost,127.0.0.1,::1"),
        entry("JAVA_TOOL_OPTIONS", JAVA_PROPERTIES));
  }

  @Test
  void javaToolOptionsKeepTheInheritedFlagsFirst() {
    Map<String, String> env = ProxyEnvironment.variables("127.0.0.1", 41235,
        Map.of("JAVA_TOOL_OPTIONS", " -agentlib:jdwp=transport=dt_socket,server=y,address=5005 -Xmx1g "));

    assertThat(env.get("JAVA_TOOL_OPTIONS"))
        .isEqualTo("-agentlib:jdwp=transport=dt_socket,server=y,address=5005 -Xmx1g " + JAVA_PROPERTIES);
  }

  @Test
  void noProxyMergesBothSpellingsOnce() {
    Map<String, String> env = ProxyEnvironment.variables("127.0.0.1", 41235,
        Map.of("NO_PROXY", ".corp.example.com, localhost,,10.0.0.0/8", "no_proxy", "10.0.0.0/8,::1,gitlab"));

    assertThat(env.get("NO_PROXY")).isEqualTo(".corp.example.com,localhost,10.0.0.0/8,::1,gitlab,127.0.0.1");
    assertThat(env.get("no_proxy")).isEqualTo(env.get("NO_PROXY"));
  }

  @Test
  void anIpv6ProxyHostIsBracketedInUrlsOnly() {
    Map<String, String> env = ProxyEnvironment.variables("::1", 41235, Map.of());

    assertThat(env).containsEntry("ALL_PROXY", "socks5h://[::1]:41235").containsEntry("https_proxy",
        "http://[::1]:41235");
    assertThat(env.get("JAVA_TOOL_OPTIONS")).startsWith("-DsocksProxyHost=::1 -DsocksProxyPort=41235 ");
  }

  @Test
  void theImportedEnvironmentGoesUnderTheProxyVariablesAndMergesWithTheOwn() {
    Map<String, String> set = ProxyEnvironment.over(
        Map.of("NO_PROXY", "laptop.local", "no_proxy", "printer", "PATH", "/bin"),
        List.of(variable("DB_URL", "postgres://db:5432/orders"), variable("HTTP_PROXY", "http://corp:3128"),
            variable("NO_PROXY", ".svc.internal"), variable("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75")),
        Optional.of(RunCommandTest.OUTBOUND));

    assertThat(set)
        .containsEntry("DB_URL", "postgres://db:5432/orders")
        .containsEntry("HTTP_PROXY", "http://127.0.0.1:41235")
        .containsEntry("NO_PROXY", ".svc.internal,printer,localhost,127.0.0.1,::1")
        .containsEntry("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75 " + JAVA_PROPERTIES)
        .doesNotContainKey("PATH");
  }

  @Test
  void withoutAnOutboundProxyOnlyTheImportedVariablesAreSet() {
    Map<String, String> set = ProxyEnvironment.over(Map.of("NO_PROXY", "x"), List.of(variable("A", "1")),
        Optional.empty());

    assertThat(set).containsExactly(entry("A", "1"));
  }

  @Test
  void anOutboundProxyNeedsAPortAndAHost() {
    StatusReply none = StatusReply.getDefaultInstance();
    StatusReply portZero = StatusReply.newBuilder().setOutbound(Outbound.newBuilder().setHost("127.0.0.1")).build();
    StatusReply up = StatusReply.newBuilder().setOutbound(RunCommandTest.OUTBOUND).build();

    assertThat(ProxyEnvironment.outbound(none)).isEmpty();
    assertThat(ProxyEnvironment.outbound(portZero)).isEmpty();
    assertThat(ProxyEnvironment.outbound(up)).contains(RunCommandTest.OUTBOUND);
  }

  /**
   * What the Javadoc of {@link ProxyEnvironment#javaToolOptions} claims, asked of a real JVM started with the
   * variables: loopback direct for every scheme, cluster names to the proxy unresolved.
   */
  @Test
  void aJvmStartedWithTheVariablesProxiesClusterNamesAndNotLoopback() throws Exception {
    Path source = dir.resolve("Select.java");
    Files.writeString(source, """
        public class Select {
          public static void main(String[] args) throws Exception {
            for (String uri : args) {
              System.out.println(uri + " " + java.net.ProxySelector.getDefault().select(new java.net.URI(uri)));
            }
          }
        }
        """);
    ProcessBuilder java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        source.toString(), "socket://orders.shop:5432", "socket://localhost:5432", "socket://127.0.0.1:15051",
        "socket://[::1]:5432", "http://orders.shop/", "https://orders.shop:50051", "http://localhost:8080/",
        "https://127.0.0.1:15051", "https://[::1]:8443")
        .redirectErrorStream(true);
    java.environment().remove("JAVA_TOOL_OPTIONS");
    java.environment().putAll(ProxyEnvironment.variables("127.0.0.1", 41235, java.environment()));
    Process process = java.start();
    String out = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(out.lines().filter(l -> !l.startsWith("Picked up JAVA_TOOL_OPTIONS")).toList()).as(out).containsExactly(
        "socket://orders.shop:5432 [SOCKS @ 127.0.0.1/<unresolved>:41235]",
        "socket://localhost:5432 [DIRECT]",
        "socket://127.0.0.1:15051 [DIRECT]",
        "socket://[::1]:5432 [DIRECT]",
        "http://orders.shop/ [HTTP @ 127.0.0.1/<unresolved>:41235]",
        "https://orders.shop:50051 [HTTP @ 127.0.0.1/<unresolved>:41235]",
        "http://localhost:8080/ [DIRECT]",
        "https://127.0.0.1:15051 [DIRECT]",
        "https://[::1]:8443 [DIRECT]");
  }

  private static EnvVar variable(String name, String value) {
    return EnvVar.newBuilder().setName(name).setValue(value).build();
  }
}

package io.devproxy.daemon.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.devproxy.proto.daemon.ForwardInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The outbound proxy and the --forward ports serve the daemon's own user only: a client run as another user (here
 * {@code nobody}, through {@code setpriv}, when the tests run as root on Linux) is refused in its protocol's terms.
 */
class OwnUserOnlyTest extends RunningProxyTest {

  private static final List<String> AS_NOBODY = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
      "--clear-groups");

  @Test
  void tableAddressesDecodeInTheMachinesByteOrder() throws Exception {
    assertThat(OwnUserOnly.decode("0100007F")).isEqualTo(InetAddress.getByName("127.0.0.1"));
    assertThat(OwnUserOnly.decode("00000000000000000000000001000000")).isEqualTo(InetAddress.getByName("::1"));
    // IPv4-mapped, as a dual-stack socket shows an IPv4 peer: Java reports it as the IPv4 address.
    assertThat(OwnUserOnly.decode("0000000000000000FFFF00000100007F")).isEqualTo(InetAddress.getByName("127.0.0.1"));
    assertThat(OwnUserOnly.matches("0100007F:1F90", new InetSocketAddress("127.0.0.1", 8080))).isTrue();
    assertThat(OwnUserOnly.matches("0100007F:1F90", new InetSocketAddress("127.0.0.1", 8081))).isFalse();
    assertThat(OwnUserOnly.decode("zz")).isNull();
  }

  @Test
  void theKernelNamesThisProcessesUserAsTheOwnerOfItsOwnConnection() throws Exception {
    assumeTrue(OwnUserOnly.enforced(), "needs /proc/net/tcp (Linux)");
    int ownUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept()) {
      OptionalInt owner = OwnUserOnly.ownerUid((InetSocketAddress) accepted.getRemoteSocketAddress(),
          (InetSocketAddress) accepted.getLocalSocketAddress());

      assertThat(owner).hasValue(ownUid);
    }
  }

  @Test
  void anotherUsersCurlIsRefusedOverSocksConnectAndAbsoluteForm() throws Exception {
    assumeOtherUserAvailable();
    String target = "http://orders.shop:8080/x";

    Curl.Result socks = Curl.runAs(AS_NOBODY, "--proxy", "socks5h://" + address(), target);
    Curl.Result connect = Curl.runAs(AS_NOBODY, "-p", "--proxy", "http://" + address(), target);
    Curl.Result absolute = Curl.runAs(AS_NOBODY, "-i", "--proxy", "http://" + address(), target);

    assertThat(socks.exitCode()).as(socks.stderr()).isNotZero();
    assertThat(socks.stderr()).containsIgnoringCase("authentication");
    assertThat(connect.exitCode()).as(connect.stderr()).isNotZero();
    assertThat(connect.stderr()).contains("403");
    assertThat(absolute.body()).startsWith("HTTP/1.1 403").contains("serves only uid 0").contains("not uid 65534");
    assertThat(dialer.dials()).isEmpty();
    // The daemon's own user is still served.
    assertThat(Curl.run("--proxy", "socks5h://" + address(), target).exitCode()).isZero();
  }

  @Test
  void anotherUsersClientGetsNothingFromAForwardPort() throws Exception {
    assumeOtherUserAvailable();
    LoopbackDialer forwardDialer = fixture.dialer();
    try (LocalForwards forwards = LocalForwards.open(List.of(ForwardSpec.parse("orders.shop:8080:0")),
        forwardDialer, fixture.group)) {
      ForwardInfo info = forwards.infos().get(0);
      String url = "http://127.0.0.1:" + info.getLocalPort() + "/x";

      Curl.Result nobody = Curl.runAs(AS_NOBODY, url);
      Curl.Result own = Curl.run(url);

      assertThat(nobody.exitCode()).as(nobody.stderr()).isNotZero();
      assertThat(own.exitCode()).as(own.stderr()).isZero();
      assertThat(own.body()).startsWith("GET /x ");
      assertThat(forwardDialer.dials()).containsExactly("orders.shop:8080");
    }
  }

  /** Root on Linux with setpriv: the test can run a client as {@code nobody}. */
  private static void assumeOtherUserAvailable() throws Exception {
    assumeTrue(OwnUserOnly.enforced(), "needs /proc/net/tcp (Linux)");
    assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
        "needs root to run a client as another user");
    assumeTrue(Files.isExecutable(Path.of(AS_NOBODY.get(0))), "needs setpriv (util-linux)");
  }
}

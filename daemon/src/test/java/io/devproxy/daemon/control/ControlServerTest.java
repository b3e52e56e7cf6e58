package io.devproxy.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.devproxy.daemon.DevproxyHome;
import io.devproxy.proto.daemon.InterceptInfo;
import io.devproxy.proto.daemon.InterceptProgress;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.proto.daemon.LeaveRequest;
import io.devproxy.proto.daemon.QuitRequest;
import io.devproxy.proto.daemon.StatusReply;
import io.devproxy.proto.daemon.StatusRequest;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.devproxy.tunnel.errors.ErrorStatus;
import io.devproxy.tunnel.netty.EventLoops;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.netty.channel.EventLoopGroup;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {

  @TempDir Path dir;

  private EventLoopGroup group;
  private final FakeIntercepts intercepts = new FakeIntercepts();
  private final CountDownLatch quit = new CountDownLatch(1);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Path socket;

  @BeforeEach
  void setUp() {
    group = EventLoops.newGroup("control-test", 1);
    socket = dir.resolve("daemon.sock");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private ControlServer startServer() throws DevproxyException {
    ControlServer server = newServer();
    server.start();
    return server;
  }

  private ControlServer newServer() {
    DaemonService service = new DaemonService(intercepts, new DaemonInfo("1.2.3", 4242, dir.toString(), "registry.example/agent:1.2.3"), quit::countDown);
    ControlServer server = new ControlServer(socket, service, group);
    closeables.add(server);
    return server;
  }

  private ControlClient client() {
    ControlClient client = new ControlClient(socket, group);
    closeables.add(client);
    return client;
  }

  @Test
  void socketIsReadableAndWritableByTheOwnerOnly() throws Exception {
    startServer();

    assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void interceptAndStatusGoThroughTheIntercepts() throws Exception {
    startServer();
    InterceptRequest request =
        InterceptRequest.newBuilder().setName("web").setAgentAddress("10.0.0.1:8443").setLocalPort(8080).build();

    List<InterceptProgress> progress = new ArrayList<>();
    client().stub().intercept(request).forEachRemaining(progress::add);
    InterceptInfo info = progress.get(progress.size() - 1).getIntercept();
    StatusReply status = client().stub().status(StatusRequest.getDefaultInstance());

    assertThat(intercepts.requests).containsExactly(request);
    assertThat(progress.get(0).getMessage()).isEqualTo("preparing web");
    assertThat(info.getName()).isEqualTo("web");
    assertThat(status.getVersion()).isEqualTo("1.2.3");
    assertThat(status.getPid()).isEqualTo(4242);
    assertThat(status.getHome()).isEqualTo(dir.toString());
    assertThat(status.getAgentImage()).isEqualTo("registry.example/agent:1.2.3");
    assertThat(status.getInterceptsList()).containsExactly(info);
  }

  @Test
  void aCancelledInterceptCallInterruptsTheIntercept() throws Exception {
    startServer();
    CountDownLatch interrupted = new CountDownLatch(1);
    intercepts.interruptedWhileWaiting = interrupted;
    Context.CancellableContext call = Context.current().withCancellation();
    List<String> progress = new ArrayList<>();

    call.run(() -> {
      var replies = client().stub().intercept(InterceptRequest.newBuilder().setName("web").build());
      progress.add(replies.next().getMessage());
      call.cancel(null); // what the CLI does on Ctrl-C
    });

    assertThat(progress).containsExactly("preparing web");
    assertThat(interrupted.await(5, TimeUnit.SECONDS)).as("the daemon's intercept thread was interrupted").isTrue();
  }

  @Test
  void userErrorReachesTheClientWithItsCategoryAndMessage() throws Exception {
    startServer();
    intercepts.nextFailure = new DevproxyException(ErrorCategory.USER, "an intercept named 'web' already exists");

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> client().stub().intercept(InterceptRequest.newBuilder().setName("web").build()).forEachRemaining(p -> {}));
    DevproxyException received = ErrorStatus.fromStatus(e);

    assertThat(received.category()).isEqualTo(ErrorCategory.USER);
    assertThat(received.getMessage()).isEqualTo("an intercept named 'web' already exists");
  }

  @Test
  void leaveOfUnknownNameIsAUserError() throws Exception {
    startServer();

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> client().stub().leave(LeaveRequest.newBuilder().setName("nope").build()));

    assertThat(ErrorStatus.fromStatus(e).category()).isEqualTo(ErrorCategory.USER);
    assertThat(ErrorStatus.fromStatus(e).getMessage()).isEqualTo("no intercept named 'nope'");
  }

  @Test
  void unexpectedExceptionReachesTheClientAsInternal() throws Exception {
    startServer();
    intercepts.nextFailure = new IllegalStateException("boom");

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> client().stub().intercept(InterceptRequest.newBuilder().setName("web").build()).forEachRemaining(p -> {}));

    assertThat(ErrorStatus.fromStatus(e).category()).isEqualTo(ErrorCategory.INTERNAL);
    assertThat(ErrorStatus.fromStatus(e).getMessage()).contains("boom");
  }

  @Test
  void quitRepliesThenRunsTheQuitAction() throws Exception {
    startServer();

    client().stub().quit(QuitRequest.getDefaultInstance());

    assertThat(quit.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void staleSocketFileIsReplaced() throws Exception {
    // What a killed daemon leaves: a socket file nobody listens on.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    }
    assertThat(socket).exists();
    assertThat(ControlServer.isListening(socket)).isFalse();

    startServer();

    assertThat(client().stub().status(StatusRequest.getDefaultInstance()).getPid()).isEqualTo(4242);
    assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void leftoverRegularFileIsReplaced() throws Exception {
    Files.writeString(socket, "junk");

    startServer();

    assertThat(client().stub().status(StatusRequest.getDefaultInstance()).getVersion()).isEqualTo("1.2.3");
  }

  @Test
  void socketOfALiveDaemonIsNotTaken() throws Exception {
    startServer();

    assertThatThrownBy(() -> newServer().start())
        .isInstanceOfSatisfying(
            DevproxyException.class, e -> assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG))
        .hasMessageContaining("already listening on " + socket)
        .hasMessageContaining("devproxy quit");
    assertThat(client().stub().status(StatusRequest.getDefaultInstance()).getPid()).isEqualTo(4242);
  }

  @Test
  void closeRemovesTheSocketAndIsIdempotent() throws Exception {
    ControlServer server = startServer();

    server.close();
    server.close();

    assertThat(server.awaitTermination(Duration.ofSeconds(5))).isTrue();
    assertThat(socket).doesNotExist();
  }

  @Test
  void tooLongSocketPathFailsWithAHint() {
    Path deep = dir.resolve("d".repeat(60)).resolve("e".repeat(60));

    assertThatThrownBy(() -> DevproxyHome.open(deep))
        .isInstanceOfSatisfying(
            DevproxyException.class, e -> assertThat(e.category()).isEqualTo(ErrorCategory.CONFIG))
        .hasMessageContaining(deep.resolve("daemon.sock").toString())
        .hasMessageContaining("set DEVPROXY_HOME to a shorter path");
    assertThat(deep).doesNotExist();
  }
}

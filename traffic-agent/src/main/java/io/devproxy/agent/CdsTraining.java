package io.devproxy.agent;

import com.google.protobuf.ByteString;
import io.devproxy.proto.tunnel.AgentMessage;
import io.devproxy.proto.tunnel.ControlMessage;
import io.devproxy.proto.tunnel.End;
import io.devproxy.proto.tunnel.ExchangeFrame;
import io.devproxy.proto.tunnel.Head;
import io.devproxy.proto.tunnel.Header;
import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.Offer;
import io.devproxy.proto.tunnel.Register;
import io.devproxy.proto.tunnel.TunnelGrpc;
import io.devproxy.tunnel.FileTrees;
import io.devproxy.tunnel.netty.EventLoops;
import io.devproxy.tunnel.pki.AgentTls;
import io.devproxy.tunnel.pki.UserPki;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/**
 * What the agent image's class-data-sharing archive is recorded from, at image build time
 * ({@code images/traffic-agent/rootfs.sh} runs {@code java -XX:DumpLoadedClassList=LIST -cp
 * devproxy-traffic-agent.jar io.devproxy.agent.CdsTraining}, then dumps the archive from LIST): the agent's start as
 * {@link AgentMain} does it, up to ready, then one request passed through to the app and one intercepted through a
 * developer's mTLS tunnel, and a scrape of the admin port, so that a pod maps those classes from the archive instead
 * of loading and verifying them from the jar. Everything listens on loopback ports the system picks and lives in a
 * temporary directory, deleted at the end; nothing is printed unless a step fails.
 *
 * <p>Exits 0 when every step worked, else 5 with the failure on stderr (the image build then stops).
 */
final class CdsTraining {

  private static final String SESSION_KEY = "cds-training";
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  private CdsTraining() {}

  public static void main(String[] args) throws Exception {
    Logger.getLogger("").setLevel(Level.WARNING);
    Path dir = Files.createTempDirectory("devproxy-agent-cds");
    int exitCode = 5;
    try {
      train(dir);
      exitCode = 0;
    } catch (Exception e) {
      System.err.println("CdsTraining: " + e);
    } finally {
      FileTrees.delete(dir);
    }
    System.exit(exitCode);
  }

  static void train(Path dir) throws Exception {
    UserPki pki = UserPki.loadOrCreate(dir.resolve("pki"), "cds-training@image-build");
    Path tlsDir = dir.resolve("tls");
    pki.writeAgentTlsDir(tlsDir, List.of(), List.of());
    EventLoopGroup group = EventLoops.newGroup("devproxy-cds-app", 1);
    Channel app = null;
    TrafficAgent agent = null;
    ManagedChannel tunnel = null;
    try {
      app = startApp(group);
      // The flags as the pod gives them, parsed as AgentMain parses them.
      AgentMain main = new AgentMain();
      new CommandLine(main).parseArgs("--listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0",
          "--admin-listen", "127.0.0.1:0", "--tls-dir", tlsDir.toString(),
          "--app", "127.0.0.1:" + ((InetSocketAddress) app.localAddress()).getPort(), "--lease-janitor", "false");
      agent = new TrafficAgent(main.config()).start();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(STEP_TIMEOUT).build();
      String admin = "http://127.0.0.1:" + agent.adminAddress().getPort();
      String service = "http://127.0.0.1:" + agent.listenAddress().getPort() + "/orders";
      expect(http, HttpRequest.newBuilder(URI.create(admin + "/readyz")), 200, null);
      expect(http, HttpRequest.newBuilder(URI.create(service)), 200, "app");

      tunnel = NettyChannelBuilder.forAddress(agent.tunnelAddress())
          .sslContext(pki.clientContext())
          .overrideAuthority(AgentTls.AGENT_AUTHORITY)
          .build();
      serveOneExchange(tunnel);
      expect(http, HttpRequest.newBuilder(URI.create(service)).header("x-devproxy-session", SESSION_KEY)
          .POST(HttpRequest.BodyPublishers.ofString("{}")), 200, "local");
      expect(http, HttpRequest.newBuilder(URI.create(admin + "/metrics")), 200, null);
    } finally {
      if (tunnel != null) {
        tunnel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      if (agent != null) {
        agent.close();
      }
      if (app != null) {
        app.close().syncUninterruptibly();
      }
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /** Registers a session as a daemon does, and offers one exchange stream that answers "local". */
  private static void serveOneExchange(ManagedChannel tunnel) throws Exception {
    TunnelGrpc.TunnelStub stub = TunnelGrpc.newStub(tunnel);
    CompletableFuture<AgentMessage> registered = new CompletableFuture<>();
    StreamObserver<ControlMessage> control = stub.control(new Observer<>(registered));
    control.onNext(ControlMessage.newBuilder().setRegister(Register.newBuilder()
        .setSessionId("cds-training-session").setClientId("cds-training-client").setOwner("cds-training@image-build")
        .setName("orders").setMatcher(Matcher.newBuilder().setSessionKey(SESSION_KEY))).build());
    AgentMessage reply = registered.get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (!reply.hasRegistered()) {
      throw new IOException("the agent did not register the training session: " + reply);
    }
    AtomicReference<StreamObserver<ExchangeFrame>> exchange = new AtomicReference<>();
    exchange.set(stub.exchange(new StreamObserver<>() {
      @Override
      public void onNext(ExchangeFrame frame) {
        if (frame.hasEnd() || frame.hasHead() && frame.getHead().getEndOfStream()) {
          byte[] body = "local\n".getBytes(StandardCharsets.UTF_8);
          exchange.get().onNext(ExchangeFrame.newBuilder().setHead(Head.newBuilder().setStatus(200)
              .addHeaders(Header.newBuilder().setName("content-type").setValue("text/plain"))
              .addHeaders(Header.newBuilder().setName("content-length")
                  .setValue(Integer.toString(body.length))))
              .build());
          exchange.get().onNext(ExchangeFrame.newBuilder().setData(ByteString.copyFrom(body)).build());
          exchange.get().onNext(ExchangeFrame.newBuilder().setEnd(End.getDefaultInstance())
              .build());
          exchange.get().onCompleted();
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    }));
    exchange.get().onNext(ExchangeFrame.newBuilder().setOffer(Offer.newBuilder().setClientId("cds-training-client"))
        .build());
  }

  private static void expect(HttpClient http, HttpRequest.Builder request, int status, String body)
      throws IOException, InterruptedException {
    HttpRequest built = request.timeout(STEP_TIMEOUT).build();
    HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != status || body != null && !response.body().strip().equals(body)) {
      throw new IOException(built.method() + " " + built.uri() + ": expected " + status
          + (body == null ? "" : " '" + body + "'") + ", got " + response.statusCode() + " '"
          + response.body().strip() + "'");
    }
  }

  /** The app behind the agent: answers every request with 200 "app". */
  private static Channel startApp(EventLoopGroup group) throws InterruptedException {
    return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer("app\n", StandardCharsets.UTF_8));
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                  }
                });
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
  }

  private static final class Observer<T> implements StreamObserver<T> {
    private final CompletableFuture<T> first;

    Observer(CompletableFuture<T> first) {
      this.first = first;
    }

    @Override
    public void onNext(T value) {
      first.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      first.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      first.completeExceptionally(new IOException("the agent ended the stream"));
    }
  }
}

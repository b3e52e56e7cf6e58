package io.devproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.devproxy.tunnel.netty.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local service that resets its HTTP/2 stream: the reset, with its error code, reaches the caller through
 * the agent and the tunnel, as curl (an independent HTTP/2 client) reports it.
 */
class ResetPropagationTest {

  @TempDir
  static Path root;

  static EventLoopGroup group;
  static Channel resettingLocal;
  static Loopback loopback;

  @BeforeAll
  static void start() throws Exception {
    group = EventLoops.newGroup("resetting-local", 1);
    resettingLocal = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2HeadersFrame headers) {
                  ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR).stream(headers.stream()));
                }
                ReferenceCountUtil.release(msg);
              }
            });
          }
        })
        .bind(Loopback.loopback(0)).sync().channel();
    loopback = Loopback.withRestServers(root);
    loopback.intercepts.intercept(io.devproxy.proto.daemon.InterceptRequest.newBuilder()
        .setName("resetting")
        .setAgentAddress("127.0.0.1:" + loopback.agent.tunnelAddress().getPort())
        .setLocalPort(((java.net.InetSocketAddress) resettingLocal.localAddress()).getPort())
        .setLocalProtocol("h2c")
        .setKey(Loopback.KEY)
        .build());
  }

  @AfterAll
  static void stop() {
    if (loopback != null) {
      loopback.close();
    }
    if (resettingLocal != null) {
      resettingLocal.close().syncUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void localStreamResetReachesTheCallerWithItsErrorCode() throws Exception {
    assumeTrue(curlSpeaksHttp2(), "curl with HTTP/2 support is not installed");
    String url = "http://" + loopback.agentTarget() + "/who";
    Process curl = new ProcessBuilder("curl", "-sS", "--http2-prior-knowledge", "-m", "10",
        "-H", "x-devproxy-session: " + Loopback.KEY, url).redirectErrorStream(true).start();
    assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(output).contains("INTERNAL_ERROR");
    assertThat(curl.exitValue()).isEqualTo(92); // CURLE_HTTP2_STREAM

    // The agent and the tunnel are fine afterwards: an unmatched request is served.
    Process ok = new ProcessBuilder("curl", "-sS", "--http2-prior-knowledge", "-m", "10", url)
        .redirectErrorStream(true).start();
    assertThat(ok.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("cluster\n");
  }

  static boolean curlSpeaksHttp2() {
    try {
      Process version = new ProcessBuilder("curl", "-V").redirectErrorStream(true).start();
      String text = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return version.waitFor(10, TimeUnit.SECONDS) && text.contains("HTTP2");
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}

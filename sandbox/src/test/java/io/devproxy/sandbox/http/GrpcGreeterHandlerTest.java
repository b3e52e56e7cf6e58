package io.devproxy.sandbox.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.devproxy.sandbox.CallLog;
import io.devproxy.sandbox.greeter.HelloReply;
import io.devproxy.sandbox.greeter.HelloRequest;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hand-written gRPC side of SampleApp, frame by frame. */
class GrpcGreeterHandlerTest {

    private final CallLog callLog = new CallLog();
    private final EmbeddedChannel channel = new EmbeddedChannel(new GrpcGreeterHandler("cluster", callLog));

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void answersSayHelloWithHeadersOneMessageAndOkTrailers() throws Exception {
        request("/helloworld.Greeter/SayHello", GrpcWire.frame(channel.alloc(), hello("ada")));

        Http2HeadersFrame headers = channel.readOutbound();
        Http2DataFrame data = channel.readOutbound();
        Http2HeadersFrame trailers = channel.readOutbound();

        assertThat(headers.isEndStream()).isFalse();
        assertThat(headers.headers().status()).hasToString("200");
        assertThat(headers.headers().get("content-type")).hasToString("application/grpc");
        assertThat(headers.headers().get("x-served-by")).hasToString("cluster");
        try {
            ByteBuf content = data.content();
            assertThat(content.readUnsignedByte()).isZero();
            assertThat(content.readInt()).isEqualTo(content.readableBytes());
            HelloReply reply = HelloReply.parseFrom(content.nioBuffer());
            assertThat(reply.getMessage()).isEqualTo("Hello ada");
            assertThat(reply.getServedBy()).isEqualTo("cluster");
        } finally {
            data.release();
        }
        assertThat(trailers.isEndStream()).isTrue();
        assertThat(trailers.headers().get("grpc-status")).hasToString("0");
        assertThat(trailers.headers().get("x-served-by-trailer")).hasToString("cluster");
        assertThat(callLog.calls()).isEqualTo(1);
    }

    @Test
    void unknownMethodIsUnimplementedAtOnceAndItsBodyIsDropped() {
        channel.writeInbound(new DefaultHttp2HeadersFrame(requestHeaders("/helloworld.Greeter/Chat"), false));

        assertStatus(channel.readOutbound(), Status.Code.UNIMPLEMENTED, "Method not found: helloworld.Greeter/Chat");

        channel.writeInbound(new DefaultHttp2DataFrame(GrpcWire.frame(channel.alloc(), hello("a")), true));
        assertThat(channel.outboundMessages()).isEmpty();
    }

    @Test
    void halfCloseWithoutAMessageIsInternal() {
        channel.writeInbound(new DefaultHttp2HeadersFrame(requestHeaders("/helloworld.Greeter/SayHello"), true));

        assertStatus(channel.readOutbound(), Status.Code.INTERNAL, "Half-closed without a request");
    }

    @Test
    void twoMessagesAreInternal() {
        ByteBuf two = Unpooled.wrappedBuffer(
                GrpcWire.frame(channel.alloc(), hello("a")), GrpcWire.frame(channel.alloc(), hello("b")));

        request("/helloworld.Greeter/SayHello", two);

        assertStatus(channel.readOutbound(), Status.Code.INTERNAL, "Too many requests");
    }

    @Test
    void compressedMessageIsInternal() {
        ByteBuf compressed = GrpcWire.frame(channel.alloc(), hello("a"));
        compressed.setByte(0, 1);

        request("/helloworld.Greeter/SayHello", compressed);

        assertStatus(channel.readOutbound(), Status.Code.INTERNAL, "compressed request messages are not supported");
    }

    @Test
    void messageSplitOverFramesIsReassembled() {
        ByteBuf message = GrpcWire.frame(channel.alloc(), hello("split"));
        channel.writeInbound(new DefaultHttp2HeadersFrame(requestHeaders("/helloworld.Greeter/SayHello"), false));
        channel.writeInbound(new DefaultHttp2DataFrame(message.readRetainedSlice(3), false));
        channel.writeInbound(new DefaultHttp2DataFrame(message, true));

        Http2HeadersFrame headers = channel.readOutbound();
        Http2DataFrame data = channel.readOutbound();
        try {
            assertThat(headers.headers().status()).hasToString("200");
            assertThat(data.content().readableBytes()).isGreaterThan(GrpcWire.PREFIX_BYTES);
        } finally {
            data.release();
        }
    }

    @Test
    void streamClosedBeforeTheAnswerCountsAsCancelled() {
        request("/helloworld.Greeter/SayHello", GrpcWire.frame(channel.alloc(), hello("hang")));
        assertThat(channel.outboundMessages()).isEmpty();

        channel.close();

        assertThat(callLog.cancelledCalls()).singleElement()
                .satisfies(c -> assertThat(c.method()).isEqualTo("helloworld.Greeter/SayHello"));
    }

    @Test
    void streamClosedAfterTheAnswerIsNotACancellation() {
        request("/helloworld.Greeter/SayHello", GrpcWire.frame(channel.alloc(), hello("ada")));

        channel.close();

        assertThat(callLog.cancellations()).isZero();
    }

    @Test
    void grpcMessageIsPercentEncoded() {
        assertThat(GrpcWire.percentEncode("50% done: ünïcode\n")).isEqualTo("50%25 done: %C3%BCn%C3%AFcode%0A");
    }

    private void request(String path, ByteBuf message) {
        channel.writeInbound(new DefaultHttp2HeadersFrame(requestHeaders(path), false));
        channel.writeInbound(new DefaultHttp2DataFrame(message, true));
    }

    private static Http2Headers requestHeaders(String path) {
        return new DefaultHttp2Headers().method("POST").path(path).scheme("http")
                .set("content-type", "application/grpc").set("te", "trailers");
    }

    private static HelloRequest hello(String name) {
        return HelloRequest.newBuilder().setName(name).build();
    }

    private static void assertStatus(Http2HeadersFrame frame, Status.Code code, String message) {
        assertThat(frame.isEndStream()).as("trailers-only").isTrue();
        assertThat(frame.headers().status()).hasToString("200");
        assertThat(frame.headers().get("grpc-status")).hasToString(String.valueOf(code.value()));
        assertThat(frame.headers().get("grpc-message")).hasToString(GrpcWire.percentEncode(message));
        assertThat(frame.headers().get("x-served-by")).hasToString("cluster");
    }
}

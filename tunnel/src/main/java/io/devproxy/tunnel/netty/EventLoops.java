package io.devproxy.tunnel.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Event loop groups for devproxy's processes: NIO (portable), daemon threads named for their role. */
public final class EventLoops {

  private EventLoops() {}

  /**
   * A new group; the caller owns it and shuts it down.
   *
   * @param threads 0 for Netty's default (twice the cores)
   */
  public static EventLoopGroup newGroup(String name, int threads) {
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), NioIoHandler.newFactory());
  }
}

package io.castvault.api.http;

import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.micronaut.http.server.netty.NettyServerCustomizer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes connections the way a server that answers before reading a whole request must (a 413 for an oversized
 * upload, sent with {@code Connection: close}): the answer goes out, the write side is shut, and whatever the
 * client is still sending is read and dropped until it stops or a deadline passes. Closing at once with unread
 * bytes in the receive buffer makes the kernel answer with a reset, and a reset makes the client's kernel drop
 * the answer before the client has read it: the client would see a broken connection instead of the 413.
 */
@Singleton
final class LingeringClose implements BeanCreatedEventListener<NettyServerCustomizer.Registry> {
    /** How long a closing connection keeps draining at most, and how long it waits for the client between reads. */
    static final Duration MAX_LINGER = Duration.ofSeconds(10);
    static final Duration IDLE_LINGER = Duration.ofSeconds(2);

    @Override
    public NettyServerCustomizer.Registry onCreated(BeanCreatedEvent<NettyServerCustomizer.Registry> event) {
        event.getBean().register(new NettyServerCustomizer() {
            @Override
            public NettyServerCustomizer specializeForChannel(Channel channel, ChannelRole role) {
                if (role != ChannelRole.CONNECTION || !(channel instanceof SocketChannel)) {
                    return this;
                }
                return new NettyServerCustomizer() {
                    @Override
                    public void onInitialPipelineBuilt() {
                        channel.pipeline().addFirst("castvault-lingering-close", new Handler());
                    }
                };
            }
        });
        return event.getBean();
    }

    /** Sits next to the socket, so it sees every close on its way out and every byte before any decoder. */
    static final class Handler extends ChannelDuplexHandler {
        private boolean lingering;
        private ScheduledFuture<?> deadline;
        private ScheduledFuture<?> idle;

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            SocketChannel socket = (SocketChannel) ctx.channel();
            if (lingering) {
                socket.closeFuture().addListener(f -> promise.trySuccess());
                return;
            }
            if (!socket.isActive() || socket.isInputShutdown() || socket.isOutputShutdown()) {
                ctx.close(promise);
                return;
            }
            lingering = true;
            socket.closeFuture().addListener(f -> {
                cancelTimers();
                promise.trySuccess();
            });
            socket.shutdownOutput().addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                }
            });
            deadline = ctx.executor().schedule(() -> ctx.close(), MAX_LINGER.toMillis(), TimeUnit.MILLISECONDS);
            restartIdle(ctx);
            socket.config().setAutoRead(true);
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (lingering) {
                ReferenceCountUtil.release(msg);
                restartIdle(ctx);
            } else {
                ctx.fireChannelRead(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!lingering) {
                ctx.fireChannelReadComplete();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (lingering && event instanceof ChannelInputShutdownEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (lingering) {
                ctx.close(); // a reset from the client while draining ends the drain; nothing to report
            } else {
                ctx.fireExceptionCaught(cause);
            }
        }

        private void restartIdle(ChannelHandlerContext ctx) {
            if (idle != null) {
                idle.cancel(false);
            }
            idle = ctx.executor().schedule(() -> ctx.close(), IDLE_LINGER.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void cancelTimers() {
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (idle != null) {
                idle.cancel(false);
            }
        }
    }
}

package io.castvault.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Forwards a loopback port to a real server and can cut it: while cut, open connections are reset and new ones
 * are refused, exactly what a client sees when the server goes down. Used to take the object store away in the
 * middle of a test and bring it back. It can also stall (connections stay open, nothing moves: a hung server) and
 * drop the one reply that contains a marker, resetting the connection instead (the reply to a COMMIT lost after
 * the server committed: an ambiguous commit).
 */
public final class TcpRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean stalled;
    private final Object flow = new Object();
    private volatile byte[] dropMarker;
    private final java.util.concurrent.atomic.AtomicInteger dropCountdown = new java.util.concurrent.atomic.AtomicInteger();

    public TcpRelay(URI targetServer) throws IOException {
        this.target = new InetSocketAddress(targetServer.getHost(), targetServer.getPort());
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tcp-relay-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The relay's address, to be used instead of the real server's. */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    public void cut() {
        cut = true;
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    public void restore() {
        cut = false;
        resume();
    }

    /** Nothing is forwarded any more in either direction, and new connections hang too, until {@link #resume()}. */
    public void stall() {
        stalled = true;
    }

    public void resume() {
        synchronized (flow) {
            stalled = false;
            flow.notifyAll();
        }
    }

    /**
     * The {@code nth} server-to-client read from now on that contains {@code marker} is not forwarded: both sides
     * of that connection are reset instead. Works on plain-text protocols (PostgreSQL with sslmode=disable).
     */
    public void dropReplyContaining(byte[] marker, int nth) {
        dropCountdown.set(nth);
        dropMarker = marker;
    }

    private void awaitFlow() throws IOException {
        synchronized (flow) {
            while (stalled) {
                try {
                    flow.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }

    private boolean drop(byte[] buf, int n) {
        byte[] marker = dropMarker;
        if (marker == null || indexOf(buf, n, marker) < 0) {
            return false;
        }
        if (dropCountdown.decrementAndGet() > 0) {
            return false;
        }
        dropMarker = null;
        return true;
    }

    private static int indexOf(byte[] buf, int n, byte[] marker) {
        outer:
        for (int i = 0; i + marker.length <= n; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (buf[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                resetQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 2000);
                open.add(client);
                open.add(upstream);
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                resetQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to, boolean replies) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    awaitFlow();
                    if (replies && drop(buf, n)) {
                        resetQuietly(to);
                        resetQuietly(from);
                        return;
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException ignored) {
                // one side went away; close both below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void resetQuietly(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // closing anyway
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        listener.close();
    }
}

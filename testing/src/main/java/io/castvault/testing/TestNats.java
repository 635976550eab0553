package io.castvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real {@code nats-server -js} for one test: its own free loopback port and a temporary store, never the
 * server that may run on the default port of this machine. It can be killed (SIGKILL, as a crash) and
 * restarted on the same port with the same store. The server's log of every start is kept: a test that fails
 * calls {@link #failed()}, and {@link #close()} then prints the log's tail and leaves the logs and the store in
 * place.
 */
public final class TestNats implements AutoCloseable {
    private final Path dir;
    private final int port;
    private static final int TAIL_LINES = 60;

    private Process process;
    private int starts;
    private volatile boolean failed;

    private TestNats(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static TestNats start() {
        try {
            Path dir = Files.createTempDirectory("castvault-nats");
            TestNats nats = new TestNats(dir, FreePort.pick());
            nats.startProcess();
            return nats;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** Kills the server at once (SIGKILL): clients see the connection drop as in a crash. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts the server again on the same port with the same store. */
    public synchronized void restart() {
        kill();
        startProcess();
    }

    private synchronized void startProcess() {
        Path log = dir.resolve("nats-" + (++starts) + ".log");
        List<String> cmd = new ArrayList<>(List.of(binary(), "-js", "-a", "127.0.0.1", "-p", Integer.toString(port),
                "-sd", dir.resolve("store").toString()));
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("nats-server exited: " + Files.readString(log));
                }
                if (Files.exists(log) && Files.readString(log).contains("Server is ready")) {
                    return;
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("nats-server did not become ready: " + Files.readString(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String binary() {
        String configured = System.getenv("CASTVAULT_TEST_NATS_SERVER");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String candidate : List.of("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "nats-server"; // from PATH; scripts/test installs the Debian package when it is missing
    }

    /**
     * The last lines of the server's logs, every start's in turn (a restart's log says whether JetStream
     * recovered its streams), for a failure message.
     */
    public synchronized String logTail() {
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= starts; i++) {
            Path log = dir.resolve("nats-" + i + ".log");
            List<String> lines;
            try {
                lines = Files.readAllLines(log);
            } catch (IOException e) {
                out.append("--- ").append(log).append(": ").append(e).append('\n');
                continue;
            }
            out.append("--- ").append(log).append(" (start ").append(i).append(", last ")
                    .append(Math.min(TAIL_LINES, lines.size())).append(" of ").append(lines.size()).append(" lines)\n");
            for (String line : lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size())) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Says the test using this server failed: {@link #close()} prints the log's tail and keeps the directory.
     * Returns the tail, for the failure's own message.
     */
    public String failed() {
        failed = true;
        return logTail();
    }

    @Override
    public void close() {
        kill();
        if (failed) {
            // the store too: what the server held (or failed to recover) can be looked at
            System.err.println("nats-server on port " + port + " (logs and store kept in " + dir + "):\n" + logTail());
        } else {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}

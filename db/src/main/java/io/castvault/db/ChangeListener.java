package io.castvault.db;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;

/**
 * LISTENs on the channel the change triggers notify, on its own connection, and hands each changed table's
 * name to the callback. After a lost connection it reconnects and reports every table as changed, since
 * notifications sent meanwhile are gone.
 */
public final class ChangeListener implements AutoCloseable {
    static final String CHANNEL = "castvault_changes";
    public static final String EVERYTHING = "*";
    private static final Logger LOG = LoggerFactory.getLogger(ChangeListener.class);

    private final DatabaseSettings settings;
    private final Consumer<String> onChange;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection connection;

    ChangeListener(DatabaseSettings settings, Consumer<String> onChange) {
        this.settings = settings;
        this.onChange = onChange;
        this.thread = Thread.ofPlatform().daemon().name("castvault-change-listener").start(this::run);
    }

    private void run() {
        boolean first = true;
        while (running) {
            try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password())) {
                connection = c;
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                if (!first) {
                    onChange.accept(EVERYTHING);
                }
                first = false;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            onChange.accept(n.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    LOG.warn("change listener lost its connection ({}); retrying", e.getMessage());
                    onChange.accept(EVERYTHING);
                    first = false;
                    sleepQuietly();
                }
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing
            }
        }
        thread.interrupt();
    }
}

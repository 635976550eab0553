package io.castvault.api;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/** The log events of this JVM from {@link #capture()} until {@link #close()}, for tests of what the service logs. */
final class LoggedEvents extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    private LoggedEvents() {
    }

    static LoggedEvents capture() {
        LoggedEvents e = new LoggedEvents();
        e.setContext(e.root.getLoggerContext());
        e.start();
        e.root.addAppender(e);
        return e;
    }

    @Override
    protected void append(ILoggingEvent event) {
        events.add(event);
    }

    /** The first event that matches, waiting up to 10 s for it (servers log some failures after the response). */
    ILoggingEvent await(Predicate<ILoggingEvent> match) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            for (ILoggingEvent e : events) {
                if (match.test(e)) {
                    return e;
                }
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return fail("no such log event within 10 s; logged: "
                + events.stream().map(ILoggingEvent::getFormattedMessage).toList());
    }

    @Override
    public void close() {
        root.detachAppender(this);
        stop();
    }
}

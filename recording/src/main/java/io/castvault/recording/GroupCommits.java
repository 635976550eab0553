package io.castvault.recording;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * upload_chunk's statements (claims and marks) as group commits. An element that arrives while a statement of the
 * same org runs waits for it, and then it and every element that gathered meanwhile go in one statement (one
 * commit, one WAL flush) run by whichever of their threads goes first. Nothing waits on purpose: one upload at a
 * time is one statement per element as before, and under concurrent uploads a statement carries what arrived while
 * the last one ran (PostgreSQL's CPU per chunk, issue 13). Each caller returns once the statement that carried its
 * element has committed, with that element's own answer; a statement that fails fails each element it carried, as
 * the element's own statement would have.
 *
 * @param <I> an element, e.g. one chunk's claim or mark
 * @param <O> its answer
 */
final class GroupCommits<I, O> {
    /** Runs the statement for {@code elements}, all of one org; answer i is element i's. */
    @FunctionalInterface
    interface Statement<I, O> {
        List<O> run(UUID orgId, List<I> elements);
    }

    /** at most this many elements in one statement; the uploads in progress at once bound it anyway */
    private static final int MAX_GROUP = 256;

    private final Statement<I, O> statement;
    /**
     * a group per org with steps in flight (a statement is confined to one org); an idle group leaves the map, so
     * that the map holds the orgs uploading now, not every org this process has seen
     */
    private final ConcurrentHashMap<UUID, Group> groups = new ConcurrentHashMap<>();
    private final LongAdder statements = new LongAdder();

    GroupCommits(Statement<I, O> statement) {
        this.statement = statement;
    }

    /** Runs {@code element} in the org's next statement; returns its answer once that statement has committed. */
    O run(UUID orgId, I element) {
        return groups.computeIfAbsent(orgId, Group::new).run(new Waiting<>(element));
    }

    /** Statements run so far (for tests: fewer than elements when elements went together). */
    long statements() {
        return statements.sum();
    }

    /** Orgs with a group in the map (for tests: none once every statement has ended). */
    int groupsHeld() {
        return groups.size();
    }

    /** Elements of the org waiting for a statement to begin (for tests that gather elements behind a running one). */
    int queued(UUID orgId) {
        Group g = groups.get(orgId);
        if (g == null) {
            return 0;
        }
        g.lock.lock();
        try {
            return g.queued.size();
        } finally {
            g.lock.unlock();
        }
    }

    private static final class Waiting<I, O> {
        final I element;
        boolean done;
        O answer;
        RuntimeException failure;

        Waiting(I element) {
            this.element = element;
        }
    }

    private final class Group {
        private final UUID orgId;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition finished = lock.newCondition();
        private final List<Waiting<I, O>> queued = new ArrayList<>();
        private boolean running;

        Group(UUID orgId) {
            this.orgId = orgId;
        }

        O run(Waiting<I, O> w) {
            lock.lock();
            try {
                queued.add(w);
                while (!w.done) {
                    if (running) {
                        // the running statement's thread signals when it ends; not interruptible, since the
                        // statement it waits for is bounded by the database's own timeouts
                        finished.awaitUninterruptibly();
                    } else {
                        runQueued();
                    }
                }
                if (!running && queued.isEmpty()) {
                    // A thread that took this group from the map just before still uses it correctly, and one
                    // that comes after starts a new group: at worst two statements of the org run at once, as
                    // they did before group commits.
                    groups.remove(orgId, this);
                }
                if (w.failure != null) {
                    throw w.failure;
                }
                return w.answer;
            } finally {
                lock.unlock();
            }
        }

        /** Runs one statement for what is queued (this thread's element among it), the lock released meanwhile. */
        private void runQueued() {
            List<Waiting<I, O>> batch = new ArrayList<>(queued.subList(0, Math.min(queued.size(), MAX_GROUP)));
            queued.subList(0, batch.size()).clear();
            running = true;
            List<O> answers = null;
            RuntimeException failure = null;
            lock.unlock();
            try {
                statements.increment();
                answers = statement.run(orgId, batch.stream().map(x -> x.element).toList());
                if (answers.size() != batch.size()) {
                    // every waiter must be answered, or it would wait for a statement no one runs
                    throw new IllegalStateException(answers.size() + " answers to " + batch.size() + " elements");
                }
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                lock.lock();
                running = false;
                if (answers == null && failure == null) {
                    failure = new IllegalStateException("the statement of " + batch.size() + " elements did not end");
                }
                for (int i = 0; i < batch.size(); i++) {
                    Waiting<I, O> x = batch.get(i);
                    x.done = true;
                    x.failure = failure;
                    x.answer = failure == null ? answers.get(i) : null;
                }
                finished.signalAll();
            }
        }
    }
}

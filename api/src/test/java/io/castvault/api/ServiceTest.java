package io.castvault.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class with its own running service (fresh database and bucket), shared by its tests. */
abstract class ServiceTest {
    static TestApp app;

    @BeforeAll
    static void startService() {
        app = TestApp.start();
    }

    @AfterAll
    static void stopService() throws Exception {
        app.close();
    }
}

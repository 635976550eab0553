package io.castvault.db;

import io.castvault.testing.TestPostgres;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A query rendered once is bound by name on each call, against a real PostgreSQL. */
class RenderedQueryTest {
    private static Database db;

    @BeforeAll
    static void setUp() {
        TestPostgres.Coordinates c = TestPostgres.instance().freshDatabase();
        db = Database.connect(new DatabaseSettings(c.url(), c.user(), c.password(), 2));
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void bindsEachPlaceholderByNameInTheOrderOfTheText() {
        Field<UUID> id = RenderedQuery.param("id", UUID.class);
        Field<String> name = RenderedQuery.param("name", String.class);
        Field<Instant> at = RenderedQuery.param("at", Instant.class);
        // "name" twice, and the parameters in the text in another order than they are declared
        RenderedQuery q = RenderedQuery.of(DSL.select(name, at, id, DSL.concat(name, DSL.inline("!"))));
        assertEquals(4, q.sql().chars().filter(ch -> ch == '?').count(), q.sql());
        assertFalse(q.sql().contains(":"), q.sql());

        UUID someId = UUID.randomUUID();
        Instant someTime = Instant.parse("2026-11-26T03:00:00.123456Z");
        Map<String, Object> values = Map.of("id", someId, "name", "first", "at", someTime);
        List<Object> row = db.acrossOrgs(tx -> q.fetch(tx, values, r -> Arrays.asList(r.intoArray())).getFirst());
        assertEquals(List.of("first", someTime, someId, "first!"), row);
        // the same rendering, other values
        Map<String, Object> others = Map.of("id", UUID.randomUUID(), "name", "second", "at", someTime);
        assertEquals("second!", db.acrossOrgs(tx -> q.fetch(tx, others, r -> r.get(3, String.class)).getFirst()));
    }

    @Test
    void aNullIsBoundAsTheParametersType() {
        RenderedQuery q = RenderedQuery.of(DSL.select(DSL.coalesce(RenderedQuery.param("maybe", UUID.class),
                DSL.inline(new UUID(0, 0)))));
        Map<String, Object> values = new HashMap<>();
        values.put("maybe", null);
        assertEquals(new UUID(0, 0), db.acrossOrgs(tx -> q.fetch(tx, values, r -> r.get(0, UUID.class)).getFirst()));
    }

    @Test
    void refusesAValueThatWouldBeFrozenIntoTheRendering() {
        // an ordinary bind value would render as an unnamed placeholder whose value every later call reused
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RenderedQuery.of(DSL.select(DSL.val("fixed"))));
        assertTrue(e.getMessage().contains("neither inline nor a named parameter"), e.getMessage());
    }

    @Test
    void refusesACallWithoutAValueForAParameter() {
        RenderedQuery q = RenderedQuery.of(DSL.select(RenderedQuery.param("needed", String.class)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> db.acrossOrgs(tx -> q.fetch(tx, Map.of(), r -> r)));
        assertTrue(e.getMessage().contains("needed"), e.getMessage());
    }
}

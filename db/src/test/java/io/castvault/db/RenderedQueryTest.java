package io.castvault.db;

import io.castvault.testing.TestPostgres;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
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
        Field<String> greeting = DSL.field(DSL.name("greeting"), String.class);
        // "name" twice, and the parameters in the text in another order than they are declared
        RenderedQuery q = RenderedQuery.of(DSL.select(name.as("n"), at.as("at"), id.as("id"),
                DSL.concat(name, DSL.inline("!")).as(greeting)));
        assertEquals(4, q.sql().chars().filter(ch -> ch == '?').count(), q.sql());
        assertFalse(q.sql().contains(":"), q.sql());

        UUID someId = UUID.randomUUID();
        Instant someTime = Instant.parse("2026-11-26T03:00:00.123456Z");
        Map<String, Object> values = Map.of("id", someId, "name", "first", "at", someTime);
        List<Object> row = db.acrossOrgs(tx -> q.fetch(tx, values, r -> List.<Object>of(
                r.get(DSL.field(DSL.name("n"), String.class)), r.get(DSL.field(DSL.name("at"), Instant.class)),
                r.get(DSL.field(DSL.name("id"), UUID.class)), r.get(greeting))).getFirst());
        assertEquals(List.of("first", someTime, someId, "first!"), row);
        // the same rendering, other values
        Map<String, Object> others = Map.of("id", UUID.randomUUID(), "name", "second", "at", someTime);
        assertEquals("second!", db.acrossOrgs(tx -> q.fetch(tx, others, r -> r.get(greeting)).getFirst()));
    }

    @Test
    void readsEachTypeItPassesAndSqlNullAsNull() {
        Field<Long> big = DSL.field(DSL.name("big"), Long.class);
        Field<Double> real = DSL.field(DSL.name("real"), Double.class);
        Field<Boolean> flag = DSL.field(DSL.name("flag"), Boolean.class);
        Field<BigDecimal> sum = DSL.field(DSL.name("sum"), BigDecimal.class);
        Field<JSONB> doc = DSL.field(DSL.name("doc"), JSONB.class);
        Field<Integer> small = DSL.field(DSL.name("small"), Integer.class);
        Field<Instant> never = DSL.field(DSL.name("never"), Instant.class);
        Field<byte[]> bytes = DSL.field(DSL.name("bytes"), byte[].class);
        RenderedQuery q = RenderedQuery.of(DSL.select(RenderedQuery.param("big", Long.class).as(big),
                RenderedQuery.param("real", Double.class).as(real), RenderedQuery.param("flag", Boolean.class).as(flag),
                DSL.field("12345678901234567890.5::numeric", BigDecimal.class).as(sum),
                RenderedQuery.param("doc", JSONB.class).as(doc), RenderedQuery.param("small", Integer.class).as(small),
                RenderedQuery.param("never", Instant.class).as(never),
                DSL.field("sha256({0})", byte[].class, RenderedQuery.param("bytes2", byte[].class)).as(bytes)));
        Map<String, Object> values = new HashMap<>();
        values.put("big", Long.MAX_VALUE);
        values.put("real", 1.5);
        values.put("flag", true);
        values.put("doc", JSONB.valueOf("{\"a\": [1, 2]}"));
        values.put("small", null);
        values.put("never", null);
        values.put("bytes2", "abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        List<Object> row = db.acrossOrgs(tx -> q.fetch(tx, values, r -> Arrays.<Object>asList(r.get(big), r.get(real),
                r.get(flag), r.get(sum), r.get(doc), r.get(small), r.get(never))).getFirst());
        assertEquals(Arrays.asList(Long.MAX_VALUE, 1.5, true, new BigDecimal("12345678901234567890.5"),
                JSONB.valueOf("{\"a\": [1, 2]}"), null, null), row);
        // bytea both ways, through a parameter whose name has a digit
        byte[] digest = db.acrossOrgs(tx -> q.fetch(tx, values, r -> r.get(bytes)).getFirst());
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", java.util.HexFormat.of().formatHex(digest));
    }

    @Test
    void aNullIsBoundAsTheParametersType() {
        Field<UUID> value = DSL.field(DSL.name("value"), UUID.class);
        RenderedQuery q = RenderedQuery.of(DSL.select(DSL.coalesce(RenderedQuery.param("maybe", UUID.class),
                DSL.inline(new UUID(0, 0))).as(value)));
        Map<String, Object> values = new HashMap<>();
        values.put("maybe", null);
        assertEquals(new UUID(0, 0), db.acrossOrgs(tx -> q.fetch(tx, values, r -> r.get(value)).getFirst()));
    }

    @Test
    void refusesAValueOfAnotherTypeThanItsParameter() {
        RenderedQuery q = RenderedQuery.of(DSL.select(RenderedQuery.param("id", UUID.class)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> db.acrossOrgs(tx -> q.fetch(tx, Map.of("id", "not-a-uuid"), r -> r)));
        assertTrue(e.getMessage().contains("String for a parameter of type UUID"), e.getMessage());
    }

    @Test
    void aFailureOfTheStatementKeepsTheDriversSqlState() {
        RenderedQuery q = RenderedQuery.of(DSL.select(DSL.field("1 / {0}", Integer.class,
                RenderedQuery.param("zero", Integer.class))));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> db.acrossOrgs(tx -> q.fetch(tx, Map.of("zero", 0), r -> r)));
        java.sql.SQLException cause = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                cause = sql;
            }
        }
        assertEquals("22012", cause == null ? null : cause.getSQLState(), "division by zero, from PostgreSQL");
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

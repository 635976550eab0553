package io.castvault.db;

import io.castvault.testing.TestPostgres;
import org.flywaydb.core.Flyway;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.ForcedType;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Jdbc;
import org.jooq.meta.jaxb.Target;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The jOOQ classes in src/generated/java are generated from the migrations applied to a real PostgreSQL and
 * committed, so that a plain build needs no database. This test regenerates them and fails when they drift.
 * Run with CASTVAULT_REGENERATE=1 (scripts/regenerate-jooq) to write the fresh code instead of comparing.
 */
class GeneratedCodeTest {
    static final String PACKAGE = "io.castvault.db.jooq";
    static final Path COMMITTED = Path.of("src/generated/java");

    @Test
    void committedJooqCodeMatchesTheMigrations() throws Exception {
        TestPostgres.Coordinates db = TestPostgres.instance().freshDatabase();
        Flyway.configure().dataSource(db.url(), db.user(), db.password()).locations("classpath:db/migration").load().migrate();

        Path out = Files.createTempDirectory("jooq-codegen");
        GenerationTool.generate(new Configuration()
                .withJdbc(new Jdbc().withDriver("org.postgresql.Driver").withUrl(db.url())
                        .withUser(db.user()).withPassword(db.password()))
                .withGenerator(new Generator()
                        .withDatabase(new Database()
                                .withName("org.jooq.meta.postgres.PostgresDatabase")
                                .withInputSchema("public")
                                .withExcludes("flyway_schema_history|castvault_.*")
                                .withForcedTypes(new ForcedType().withName("INSTANT").withIncludeTypes("timestamptz|timestamp with time zone")))
                        .withGenerate(new Generate().withJavaTimeTypes(true).withGeneratedAnnotation(false)
                                .withComments(false).withRecords(true).withPojos(false).withDaos(false))
                        .withTarget(new Target().withPackageName(PACKAGE).withDirectory(out.toString()).withClean(true))));

        if ("1".equals(System.getenv("CASTVAULT_REGENERATE"))) {
            replace(out, COMMITTED);
            return;
        }
        assertEquals(read(out), read(COMMITTED),
                "src/generated/java is out of date with the migrations: run scripts/regenerate-jooq and commit the result");
    }

    private static Map<String, String> read(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        if (!Files.exists(root)) {
            return files;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".java")).toList()) {
                files.put(root.relativize(p).toString(), Files.readString(p));
            }
        }
        return files;
    }

    private static void replace(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            try (Stream<Path> walk = Files.walk(to)) {
                for (Path p : walk.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.delete(p);
                }
            }
        }
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}

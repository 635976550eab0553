package io.castvault.db;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Param;
import org.jooq.ResultQuery;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A query of one shape, rendered by jOOQ once and from then on only bound and run through JDBC. On {@code list}
 * (JFR, bench/README.md) building and rendering the query tree on each call was about a tenth of the service's
 * CPU; once that was gone, jOOQ's execution of the rendered text was still about a third of a request's samples:
 * it scans plain SQL for placeholders on every call, reads timestamps as strings and parses them, and looks each
 * field of a record up by comparing names. So the statement is prepared straight from the rendered text and its
 * rows are read by column label, with the types of the generated fields ({@link Row#get}). Each value that varies
 * between calls is a parameter made by {@link #param}; everything else must be inline, so one shape has one SQL
 * text (checked when rendering).
 */
final class RenderedQuery {
    private static final String PREFIX = "cv_";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern NAMED = Pattern.compile(":" + PREFIX + "(" + NAME.pattern() + ")");
    /** what jOOQ renders for a value that is not a named parameter: :1, :2, ... */
    private static final Pattern UNNAMED = Pattern.compile(":[0-9]+");
    private static final DSLContext RENDERER = DSL.using(SQLDialect.POSTGRES, new Settings().withExecuteLogging(false));
    /** the Java types {@link #bind} and {@link Row#get} know how to pass to and from JDBC */
    private static final Set<Class<?>> TYPES = Set.of(UUID.class, String.class, Instant.class, Integer.class,
            Long.class, Double.class, Boolean.class, BigDecimal.class, JSONB.class, byte[].class);
    /** the arrays {@link #bind} passes (a statement for many rows), with their elements' PostgreSQL type */
    private static final Map<Class<?>, String> ARRAYS = Map.of(UUID[].class, "uuid", Integer[].class, "int4",
            Long[].class, "int8", Double[].class, "float8", Boolean[].class, "bool", byte[][].class, "bytea");

    private final String sql;
    /** the parameters in the order of their placeholders (one may occur more than once) */
    private final List<Param<?>> order;
    /** their names without the prefix, as callers give values */
    private final List<String> names;

    private RenderedQuery(String sql, List<Param<?>> order) {
        this.sql = sql;
        this.order = order;
        this.names = order.stream().map(p -> p.getParamName().substring(PREFIX.length())).toList();
    }

    /** A parameter of a query to render: its value is given by name on each call. */
    static <T> Param<T> param(String name, Class<T> type) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a parameter's name is lower case letters, digits and _: " + name);
        }
        if (!ARRAYS.containsKey(type)) {
            requireKnown(type);
        }
        return DSL.param(PREFIX + name, type);
    }

    /** Renders {@code query}, which must take every varying value through {@link #param}. */
    static RenderedQuery of(ResultQuery<?> query) {
        String named = RENDERER.renderNamedParams(query);
        if (UNNAMED.matcher(named).find()) {
            throw new IllegalArgumentException("a value of this query is neither inline nor a named parameter: " + named);
        }
        Map<String, Param<?>> params = query.getParams();
        List<Param<?>> order = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        Matcher m = NAMED.matcher(named);
        while (m.find()) {
            Param<?> p = params.get(PREFIX + m.group(1));
            if (p == null) {
                throw new IllegalArgumentException("the rendering names a parameter the query does not hold: " + m.group());
            }
            order.add(p);
            m.appendReplacement(sql, "?");
        }
        m.appendTail(sql);
        return new RenderedQuery(sql.toString(), List.copyOf(order));
    }

    /** Renders the query {@code build} makes, once per {@code shape}. */
    static <K> RenderedQuery cached(Map<K, RenderedQuery> cache, K shape, Supplier<ResultQuery<?>> build) {
        return cache.computeIfAbsent(shape, k -> of(build.get()));
    }

    /** Reads one row of the result into what the caller returns. */
    @FunctionalInterface
    interface RowReader<R> {
        R read(Row row) throws SQLException;
    }

    /**
     * Runs the query in {@code tx} with {@code values} (by parameter name; a null is bound as its parameter's
     * type) and reads every row. A failure arrives as jOOQ's would, with the driver's SQLException as its cause.
     */
    <R> List<R> fetch(Tx tx, Map<String, ?> values, RowReader<R> reader) {
        Object[] binds = new Object[order.size()];
        for (int i = 0; i < binds.length; i++) {
            String name = names.get(i);
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("no value for parameter " + name);
            }
            Object value = values.get(name);
            Class<?> type = order.get(i).getType();
            if (value != null && !type.isInstance(value)) {
                throw new IllegalArgumentException("a " + value.getClass().getSimpleName() + " for a parameter of type "
                        + type.getSimpleName());
            }
            binds[i] = value;
        }
        return tx.dsl().connectionResult(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (int i = 0; i < binds.length; i++) {
                    bind(ps, i + 1, order.get(i).getType(), binds[i]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    Row row = new Row(rs);
                    List<R> rows = new ArrayList<>();
                    while (rs.next()) {
                        rows.add(reader.read(row));
                    }
                    return rows;
                }
            } catch (SQLException e) {
                throw new DataAccessException("SQL [" + sql + "]; " + e.getMessage(), e);
            }
        });
    }

    private static void bind(PreparedStatement ps, int index, Class<?> type, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(index, type == UUID.class || type == JSONB.class ? Types.OTHER
                    : ARRAYS.containsKey(type) ? Types.ARRAY : sqlType(type));
        } else if (type == Instant.class) {
            ps.setObject(index, OffsetDateTime.ofInstant((Instant) value, ZoneOffset.UTC));
        } else if (type == JSONB.class) {
            // rendered as cast(? as jsonb)
            ps.setString(index, ((JSONB) value).data());
        } else if (type == byte[].class) {
            ps.setBytes(index, (byte[]) value);
        } else if (ARRAYS.containsKey(type)) {
            ps.setArray(index, ps.getConnection().createArrayOf(ARRAYS.get(type), (Object[]) value));
        } else {
            ps.setObject(index, value);
        }
    }

    private static int sqlType(Class<?> type) {
        if (type == String.class) {
            return Types.VARCHAR;
        } else if (type == Instant.class) {
            return Types.TIMESTAMP_WITH_TIMEZONE;
        } else if (type == Integer.class) {
            return Types.INTEGER;
        } else if (type == Long.class) {
            return Types.BIGINT;
        } else if (type == Double.class) {
            return Types.DOUBLE;
        } else if (type == Boolean.class) {
            return Types.BOOLEAN;
        } else if (type == byte[].class) {
            return Types.BINARY;
        }
        return Types.NUMERIC;
    }

    private static void requireKnown(Class<?> type) {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("a rendered query cannot pass " + type.getName());
        }
    }

    String sql() {
        return sql;
    }

    /** The current row of a rendered query's result. */
    static final class Row {
        private final ResultSet rs;

        private Row(ResultSet rs) {
            this.rs = rs;
        }

        /**
         * The column labelled with {@code field}'s name, as {@code field}'s type (null for SQL NULL). The labels of
         * one result must be distinct; alias a column whose name another one has.
         */
        @SuppressWarnings("unchecked")
        <T> T get(Field<T> field) throws SQLException {
            Class<T> type = field.getType();
            requireKnown(type);
            String label = field.getName();
            Object value;
            if (type == UUID.class) {
                value = rs.getObject(label, UUID.class);
            } else if (type == String.class) {
                value = rs.getString(label);
            } else if (type == Instant.class) {
                OffsetDateTime t = rs.getObject(label, OffsetDateTime.class);
                value = t == null ? null : t.toInstant();
            } else if (type == JSONB.class) {
                String json = rs.getString(label);
                value = json == null ? null : JSONB.valueOf(json);
            } else if (type == BigDecimal.class) {
                value = rs.getBigDecimal(label);
            } else if (type == byte[].class) {
                value = rs.getBytes(label);
            } else {
                value = rs.getObject(label, type);
            }
            return (T) value;
        }
    }
}

package io.castvault.db;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Param;
import org.jooq.Record;
import org.jooq.RecordMapper;
import org.jooq.ResultQuery;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A query of one shape, rendered by jOOQ once and from then on only bound. Building and rendering the query tree
 * on every call was about a tenth of the service's CPU per {@code list} (JFR, bench/README.md); jOOQ's manual
 * suggests caching the SQL it generates for such queries. Each value that varies between calls is a parameter
 * made by {@link #param}; everything else must be inline, so one shape has one SQL text (checked when rendering).
 */
final class RenderedQuery {
    private static final String PREFIX = "cv_";
    private static final Pattern NAMED = Pattern.compile(":" + PREFIX + "([a-z_]+)");
    /** what jOOQ renders for a value that is not a named parameter: :1, :2, ... */
    private static final Pattern UNNAMED = Pattern.compile(":[0-9]+");
    private static final DSLContext RENDERER = DSL.using(SQLDialect.POSTGRES, new Settings().withExecuteLogging(false));

    private final String sql;
    /** the parameters in the order of their placeholders (one may occur more than once) */
    private final List<Param<?>> order;
    private final Field<?>[] fields;

    private RenderedQuery(String sql, List<Param<?>> order, Field<?>[] fields) {
        this.sql = sql;
        this.order = order;
        this.fields = fields;
    }

    /** A parameter of a query to render: its value is given by name on each call. */
    static <T> Param<T> param(String name, Class<T> type) {
        return DSL.param(PREFIX + name, type);
    }

    /** Renders {@code query}, which must take every varying value through {@link #param}. */
    static RenderedQuery of(ResultQuery<?> query) {
        String named = RENDERER.renderNamedParams(query);
        if (UNNAMED.matcher(named).find()) {
            throw new IllegalArgumentException("a value of this query is neither inline nor a named parameter: " + named);
        }
        List<Param<?>> order = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        Matcher m = NAMED.matcher(named);
        while (m.find()) {
            order.add(query.getParam(PREFIX + m.group(1)));
            m.appendReplacement(sql, "?");
        }
        m.appendTail(sql);
        return new RenderedQuery(sql.toString(), List.copyOf(order), query.fields());
    }

    /** Renders the query {@code build} makes, once per {@code shape}. */
    static <K> RenderedQuery cached(Map<K, RenderedQuery> cache, K shape, Supplier<ResultQuery<?>> build) {
        return cache.computeIfAbsent(shape, k -> of(build.get()));
    }

    <R> List<R> fetch(Tx tx, Map<String, ?> values, RecordMapper<Record, R> mapper) {
        Object[] binds = new Object[order.size()];
        for (int i = 0; i < binds.length; i++) {
            Param<?> p = order.get(i);
            String name = p.getParamName().substring(PREFIX.length());
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("no value for parameter " + name);
            }
            // typed, so a null is bound as the parameter's type, as in the query that was rendered
            binds[i] = DSL.val(values.get(name), p.getDataType());
        }
        return tx.dsl().resultQuery(sql, binds).coerce(fields).fetch(mapper);
    }

    String sql() {
        return sql;
    }
}

package io.castvault.api.http;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the dashboard's static files (served for any path no route takes) must not answer: any request on the
 * management port, which serves {@code /metrics} and nothing else, and a path naming one of the dashboard's
 * folders ({@code /assets}), which the file server would answer with an empty 200.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class StaticResourceGuard {
    /** The class-path folder the dashboard is served from (application.yml, static-resources). */
    private static final String DASHBOARD = "dashboard";
    private final int managementPort;

    public StaticResourceGuard(@Value("${endpoints.all.port:9464}") int managementPort) {
        this.managementPort = managementPort;
    }

    @RequestFilter
    @Nullable
    public HttpResponse<?> guard(HttpRequest<?> request) {
        String path = request.getPath();
        if (request.getServerAddress().getPort() == managementPort) {
            return path.equals("/metrics") || path.startsWith("/metrics/") ? null : noRoute(request);
        }
        return !path.startsWith("/api/") && isDashboardFolder(path) ? noRoute(request) : null;
    }

    private static boolean isDashboardFolder(String path) {
        String name = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        // "/" is the dashboard itself (index.html)
        if (name.isEmpty() || name.contains("..")) {
            return false;
        }
        URL found = StaticResourceGuard.class.getClassLoader().getResource(DASHBOARD + name);
        if (found == null) {
            return false;
        }
        try {
            return switch (found.getProtocol()) {
                case "jar" -> ((JarURLConnection) found.openConnection()).getJarEntry().isDirectory();
                case "file" -> Files.isDirectory(Path.of(found.toURI()));
                default -> false;
            };
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return false; // the file server then answers as it would
        }
    }

    private static HttpResponse<?> noRoute(HttpRequest<?> request) {
        return Envelope.error(request, new CastvaultException(ErrorCode.NOT_FOUND,
                "no such route: " + request.getMethod() + " " + request.getPath()));
    }
}

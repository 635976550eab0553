package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Holds real answers to {@code openapi.yaml}: the documented path, method and status, the content type, the body
 * against its schema (for {@code POST /api/session-recording}: the request against its action's schema and the
 * answer against the action's response schema and status), and the {@code X-Request-Id} header.
 * {@link TestApp} runs every answer it receives through {@link #check} and fails its test class on a violation.
 */
public final class OpenApiConformance {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OpenApiConformance INSTANCE = new OpenApiConformance();
    private static final String ACTION_ROUTE = "/api/session-recording";

    private final JsonNode document;
    /** JSON Schema 2020-12, told that the document's OpenAPI fields around the schemas are not schema keywords. */
    private final JsonSchemaFactory factory = JsonSchemaFactory.builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012))
            .metaSchema(JsonMetaSchema.builder(JsonMetaSchema.getV202012())
                    .keywords(java.util.stream.Stream.of("openapi", "info", "jsonSchemaDialect", "servers", "paths", "components",
                            "discriminator", "x-castvault-status", "x-castvault-response").map(NonValidationKeyword::new).toList())
                    .build())
            .build();
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();
    private final List<Map.Entry<Pattern, String>> paths = new ArrayList<>();

    /** One checked answer: what a coverage test asks about. */
    public record Checked(String method, String pathTemplate, String action, int status, String errorCode) {
    }

    private OpenApiConformance() {
        try (InputStream in = OpenApiConformance.class.getResourceAsStream("/openapi.yaml")) {
            document = YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Iterator<String> it = document.get("paths").fieldNames(); it.hasNext(); ) {
            String template = it.next();
            paths.add(Map.entry(Pattern.compile(template.replace(".", "\\.").replaceAll("\\{[^}]+}", "[^/]+")), template));
        }
    }

    public static OpenApiConformance instance() {
        return INSTANCE;
    }

    public JsonNode document() {
        return document;
    }

    /**
     * Returns the violations of one exchange (empty when it conforms); {@code requestBody} may be null when the
     * client sent none or it is not text. {@code checked} receives what was checked.
     */
    public List<String> check(String method, String path, String requestBody, int status, String contentType,
                              String requestId, String responseBody, List<Checked> checked) {
        List<String> violations = new ArrayList<>();
        String where = method + " " + path + " → " + status + ": ";
        if (!path.startsWith("/api/") && !path.startsWith("/health") && !path.equals("/openapi.yaml")) {
            return violations; // the dashboard's static files
        }
        if (requestId == null || requestId.isBlank()) {
            violations.add(where + "no X-Request-Id header");
        }
        String template = paths.stream().filter(e -> e.getKey().matcher(path).matches()).map(Map.Entry::getValue)
                .findFirst().orElse(null);
        JsonNode json = parse(contentType, responseBody);
        if (template == null || document.get("paths").get(template).get(method.toLowerCase()) == null) {
            // an unknown route or method: the framework's answer must still be the error envelope
            if (status != 404 && status != 405) {
                violations.add(where + "undocumented route");
            } else if (!"HEAD".equals(method)) {
                validate("#/components/schemas/ErrorEnvelope", json, where, violations);
            }
            checked.add(new Checked(method, template, null, status, errorCode(json)));
            return violations;
        }
        JsonNode operation = document.get("paths").get(template).get(method.toLowerCase());
        JsonNode response = operation.get("responses").get(Integer.toString(status));
        String action = null;
        if (template.equals(ACTION_ROUTE) && "POST".equals(method)) {
            action = actionOf(requestBody);
        }
        if (response == null) {
            violations.add(where + "status not documented for this route");
            return violations;
        }
        if (response.has("$ref")) {
            response = pointer(response.get("$ref").asText());
        }
        JsonNode content = response.get("content");
        String mediaType = contentType == null ? null : contentType.split(";")[0].trim();
        if (content != null && !"HEAD".equals(method)) {
            JsonNode media = mediaType == null ? null : content.get(mediaType);
            if (media == null) {
                violations.add(where + "content type " + contentType + " not documented (" + content.properties().stream()
                        .map(Map.Entry::getKey).toList() + ")");
            } else if (mediaType.endsWith("json")) {
                String schema = "#/paths/" + escape(template) + "/" + method.toLowerCase() + "/responses/" + status
                        + "/content/" + escape(mediaType) + "/schema";
                if (response != operation.get("responses").get(Integer.toString(status))) {
                    schema = operation.get("responses").get(Integer.toString(status)).get("$ref").asText()
                            + "/content/" + escape(mediaType) + "/schema";
                }
                validate(schema, json, where, violations);
            }
        }
        if (action != null && status < 300) {
            JsonNode mapping = document.at("/paths/" + escape(ACTION_ROUTE) + "/post/requestBody/content/application~1json/schema/discriminator/mapping");
            JsonNode requestSchemaRef = mapping.get(action);
            if (requestSchemaRef == null) {
                violations.add(where + "action " + action + " succeeded but is not documented");
            } else {
                JsonNode requestSchema = pointer(requestSchemaRef.asText());
                if (requestSchema.get("x-castvault-status").asInt() != status) {
                    violations.add(where + "action " + action + " documents success status " + requestSchema.get("x-castvault-status"));
                }
                validate(requestSchemaRef.asText(), parse("application/json", requestBody), where + "request of " + action + ": ", violations);
                validate(requestSchema.get("x-castvault-response").asText(), json, where + "answer of " + action + ": ", violations);
            }
        }
        checked.add(new Checked(method, template, action, status, errorCode(json)));
        return violations;
    }

    private static String errorCode(JsonNode json) {
        return json == null ? null : Optional.ofNullable(json.path("error").path("code").textValue()).orElse(null);
    }

    private static String actionOf(String requestBody) {
        JsonNode body = parse("application/json", requestBody);
        return body != null && body.path("action").isTextual() ? body.get("action").asText() : null;
    }

    private static JsonNode parse(String contentType, String body) {
        if (body == null || body.isEmpty() || contentType == null || !contentType.contains("json")) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private JsonNode pointer(String ref) {
        return document.at(ref.substring(1));
    }

    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    private void validate(String ref, JsonNode json, String where, List<String> violations) {
        if (json == null) {
            violations.add(where + "expected a JSON body for " + ref);
            return;
        }
        JsonSchema schema = schemas.computeIfAbsent(ref, r -> {
            // the document is the schema's root, so every "#/components/..." reference inside it resolves
            ObjectNode root = (ObjectNode) document.deepCopy();
            root.put("$ref", r);
            return factory.getSchema(root);
        });
        Set<ValidationMessage> errors = schema.validate(json);
        for (ValidationMessage m : errors) {
            violations.add(where + m.getMessage() + " in " + abbreviate(json.toString()));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 600 ? s.substring(0, 600) + "…" : s;
    }
}

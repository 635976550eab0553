package io.castvault.api.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.castvault.agentingest.Machines;
import io.castvault.api.auth.Jwt;
import io.castvault.api.config.AuthConfig;
import io.castvault.api.config.DatabaseConfig;
import io.castvault.core.CastvaultException;
import io.castvault.core.Ids;
import io.castvault.db.Database;
import io.castvault.db.Role;
import io.castvault.recording.Organizations;
import io.micronaut.context.ApplicationContext;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@code scripts/admin}: operator commands against the configured database. Prints one JSON object on stdout;
 * on error prints a message on stderr and exits non-zero.
 */
public final class AdminCli {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdminCli() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || "--help".equals(args[0]) || "help".equals(args[0])) {
            System.out.println(usage());
            return;
        }
        int status;
        try (ApplicationContext ctx = ApplicationContext.builder().environments("cli").banner(false).start()) {
            Map<String, Object> result = run(ctx, args[0], Flags.parse(args));
            System.out.println(JSON.writeValueAsString(result));
            status = 0;
        } catch (UsageException | CastvaultException e) {
            System.err.println("error: " + e.getMessage());
            status = 2;
        } catch (Exception e) {
            System.err.println("error: " + e);
            status = 1;
        }
        System.exit(status);
    }

    private static Map<String, Object> run(ApplicationContext ctx, String command, Flags flags) {
        return switch (command) {
            case "create-org", "add-user", "add-machine", "delete-machine" -> {
                try (Database db = Database.connect(ctx.getBean(DatabaseConfig.class).settings())) {
                    db.migrate();
                    yield switch (command) {
                        case "create-org" -> createOrg(db, flags);
                        case "add-user" -> addUser(db, flags);
                        case "add-machine" -> addMachine(db, flags);
                        default -> deleteMachine(db, flags);
                    };
                }
            }
            case "token" -> token(ctx, flags);
            default -> throw new UsageException("unknown command " + command + "\n" + usage());
        };
    }

    private static Map<String, Object> createOrg(Database db, Flags flags) {
        UUID id = new Organizations(db).create(flags.required("name"), !flags.has("no-feature"));
        return Map.of("org_id", id.toString());
    }

    private static Map<String, Object> addUser(Database db, Flags flags) {
        UUID org = Ids.parse("--org", flags.required("org"));
        Role role = Role.parse(flags.required("role"))
                .orElseThrow(() -> new UsageException("--role must be admin, member or auditor"));
        UUID user = flags.has("user") ? Ids.parse("--user", flags.required("user")) : null;
        return Map.of("user_id", new Organizations(db).addUser(org, role, user, flags.optional("name")).toString());
    }

    private static Map<String, Object> addMachine(Database db, Flags flags) {
        UUID org = Ids.parse("--org", flags.required("org"));
        UUID owner = Ids.parse("--owner", flags.required("owner"));
        Machines.NewMachine m = new Machines(db).add(org, flags.required("name"), owner);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machine_id", m.machineId().toString());
        out.put("node_key", m.nodeKey());
        return out;
    }

    private static Map<String, Object> deleteMachine(Database db, Flags flags) {
        UUID id = Ids.parse("--machine", flags.required("machine"));
        new Machines(db).delete(id);
        return Map.of("deleted", id.toString());
    }

    private static Map<String, Object> token(ApplicationContext ctx, Flags flags) {
        UUID user = Ids.parse("--user", flags.required("user"));
        long ttl = flags.has("ttl") ? parsePositive(flags.required("ttl")) : 3600;
        AuthConfig auth = ctx.getBean(AuthConfig.class);
        if (ttl > auth.jwtMaxLifetime().toSeconds()) {
            throw new UsageException("--ttl must be at most " + auth.jwtMaxLifetime().toSeconds()
                    + " seconds (AUTH_JWT_MAX_LIFETIME)");
        }
        Jwt jwt = new Jwt(auth.jwtSecret(), Clock.systemUTC(), auth.jwtMaxLifetime());
        return Map.of("token", jwt.issue(user, Duration.ofSeconds(ttl)));
    }

    private static long parsePositive(String s) {
        try {
            long v = Long.parseLong(s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new UsageException("--ttl must be a positive number of seconds");
    }

    private static String usage() {
        return """
                usage: scripts/admin <command> [--flags]
                  create-org --name NAME [--no-feature]
                  add-user --org ORG --role admin|member|auditor [--user UUID] [--name NAME]
                  add-machine --org ORG --name NAME --owner USER
                  delete-machine --machine ID
                  token --user USER [--ttl SECONDS]""";
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** {@code --name value} pairs and bare {@code --switch}es. */
    record Flags(Map<String, String> values) {
        static Flags parse(String[] args) {
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 1; i < args.length; i++) {
                if (!args[i].startsWith("--")) {
                    throw new UsageException("unexpected argument " + args[i]);
                }
                String name = args[i].substring(2);
                if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    values.put(name, args[++i]);
                } else {
                    values.put(name, null);
                }
            }
            return new Flags(values);
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        String required(String name) {
            String v = values.get(name);
            if (v == null || v.isBlank()) {
                throw new UsageException("--" + name + " is required");
            }
            return v;
        }

        String optional(String name) {
            return values.get(name);
        }
    }
}
